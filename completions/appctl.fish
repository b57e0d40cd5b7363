# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_appctl_global_optspecs
    string join \n f/file= env= json y/yes no-color v/verbose q/quiet h/help V/version
end

function __fish_appctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_appctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_appctl_using_subcommand
    set -l cmd (__fish_appctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c appctl -n "__fish_appctl_needs_command" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_needs_command" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_needs_command" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_needs_command" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_needs_command" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_needs_command" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_needs_command" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_needs_command" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "init" -d 'Create a project from a template'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "validate" -d 'Check appctl.yaml and report every problem with its line and column'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "plan" -d 'Show what a deploy would change in a database'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "deploy" -d 'Apply appctl.yaml to a database'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "pull" -d 'Write appctl.yaml from a live database'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "access" -d 'Show who may do what, read from the live database'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "up" -d 'Run the whole backend locally in containers'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "down" -d 'Stop the local stack'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "status" -d 'Show the local stack\'s services, URLs and health'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "logs" -d 'Show the logs of the local stack'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "functions" -d 'Package, list and invoke functions'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "export" -d 'Write every table, file, user and function of an instance to one archive'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "import" -d 'Load an archive made by `appctl export` into an instance'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "render" -d 'Write the local stack in another form (a Compose file)'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "schema" -d 'Print the JSON Schema of appctl.yaml'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "gateway" -d 'The stack\'s gateway (runs in its container)'
complete -c appctl -n "__fish_appctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s t -l template -d 'The template: blank or ai-chat' -r -f -a "blank\t''
ai-chat\t''"
complete -c appctl -n "__fish_appctl_using_subcommand init" -s n -l name -d 'The project name [default: derived from the directory]' -r
complete -c appctl -n "__fish_appctl_using_subcommand init" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand init" -l force -d 'Overwrite files that already exist'
complete -c appctl -n "__fish_appctl_using_subcommand init" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand init" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand init" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand validate" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand validate" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s o -l out -d 'Save the plan to a file for `appctl deploy --plan`' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l sql -d 'Show the SQL statements of each change'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l markdown -d 'Render the plan as Markdown, for a pull-request comment'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l online -d 'Plan `online` indexes as concurrent builds after the transaction'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l bootstrap -d 'Plan as if the platform roles, auth helpers and storage tables existed (`deploy --bootstrap`)'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand plan" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l plan -d 'Apply a plan saved with `appctl plan -o`; refused when the database changed since' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l lock-timeout -d 'How long to wait for another deploy\'s lock, e.g. 5m' -r
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l ddl-lock-timeout -d 'lock_timeout of each DDL statement: fail rather than queue every query behind a table lock' -r
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l statement-timeout -d 'statement_timeout of each statement' -r
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l allow-destructive -d 'Allow changes that drop tables, columns or data'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l online -d 'Build `online` indexes with CREATE INDEX CONCURRENTLY after the transaction'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l bootstrap -d 'Create the roles, auth helpers and storage tables on a plain Postgres'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l no-functions -d 'Deploy the schema only: leave the functions on the environment\'s docker_host as they are'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand deploy" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s o -l out -d 'Where to write the project file [default: stdout]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l schema -d 'The schema to read' -r
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l name -d 'The project name to write [default: derived from the database name]' -r
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l force -d 'Overwrite the output file if it exists'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand pull" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand access" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand access" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand access" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand access" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand access" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand up" -l pull -d 'When to pull images' -r -f -a "missing\t'Only images the engine does not have'
always\t'Every image, for the newest build of each tag'
never\t'None; a missing image is an error'"
complete -c appctl -n "__fish_appctl_using_subcommand up" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand up" -l allow-destructive -d 'Apply schema changes that drop tables, columns or data in the local db'
complete -c appctl -n "__fish_appctl_using_subcommand up" -l watch -d 'Keep running: when a function\'s files, appctl.yaml or .env change, apply just that change'
complete -c appctl -n "__fish_appctl_using_subcommand up" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand up" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c appctl -n "__fish_appctl_using_subcommand up" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand down" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand down" -l volumes -d 'Also remove the volumes (all local data)'
complete -c appctl -n "__fish_appctl_using_subcommand down" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand down" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand down" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand status" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand status" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand status" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -l file -d 'The project file (`-f` means --follow here, as in `docker compose logs -f`)' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand logs" -l tail -d 'How many lines to show from the end' -r
complete -c appctl -n "__fish_appctl_using_subcommand logs" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s f -l follow -d 'Keep printing new lines'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand logs" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -f -a "package" -d 'Write a deterministic tar.gz per function; its sha256 is the function\'s version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -f -a "list" -d 'List the project\'s functions; with a database, what is deployed there'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -f -a "invoke" -d 'Call a function through the gateway'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and not __fish_seen_subcommand_from package list invoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s o -l out -d 'Where to write <name>.tar.gz [default: .appctl/packages beside appctl.yaml]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -l include-deps -d 'Also pack dependency folders (node_modules, .venv, virtualenvs)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from package" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l data -d 'The JSON body' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l as -d 'Who calls: anon, service or user:<uuid>' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l url -d 'The gateway to call [default: the local stack\'s; with --env, the environment\'s `gateway` on its docker_host]' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from invoke" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from help" -f -a "package" -d 'Write a deterministic tar.gz per function; its sha256 is the function\'s version'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the project\'s functions; with a database, what is deployed there'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from help" -f -a "invoke" -d 'Call a function through the gateway'
complete -c appctl -n "__fish_appctl_using_subcommand functions; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand export" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -s o -l out -d 'The archive to write (`.tar.zst`; a name ending in `.tar` is written uncompressed)' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand export" -l tables -d 'Only these tables' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l exclude -d 'Leave out these tables' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l s3-endpoint -d 'S3 endpoint holding the bucket files, e.g. http://127.0.0.1:9000 [default: the environment\'s storage.endpoint]; keys come from APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l s3-region -d 'S3 region [default: the environment\'s storage.region, else us-east-1]' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l jobs -d 'Connections reading tables at once' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand export" -l no-files -d 'Leave storage files and their metadata (storage.objects) out'
complete -c appctl -n "__fish_appctl_using_subcommand export" -l no-users -d 'Leave out auth users and identities'
complete -c appctl -n "__fish_appctl_using_subcommand export" -l force -d 'Overwrite the archive if it exists'
complete -c appctl -n "__fish_appctl_using_subcommand export" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand export" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand export" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand import" -l database-url -d 'Postgres connection URL [default: DATABASE_URL, else the environment\'s database_url]' -r
complete -c appctl -n "__fish_appctl_using_subcommand import" -l on-conflict -d 'What to do with a row whose key already exists' -r -f -a "fail\t''
skip\t''
upsert\t''
replace\t''"
complete -c appctl -n "__fish_appctl_using_subcommand import" -l s3-endpoint -d 'S3 endpoint holding the bucket files, e.g. http://127.0.0.1:9000 [default: the environment\'s storage.endpoint]; keys come from APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY' -r
complete -c appctl -n "__fish_appctl_using_subcommand import" -l s3-region -d 'S3 region [default: the environment\'s storage.region, else us-east-1]' -r
complete -c appctl -n "__fish_appctl_using_subcommand import" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand import" -l dry-run -d 'Check everything and show what would be written, write nothing'
complete -c appctl -n "__fish_appctl_using_subcommand import" -l verify-only -d 'Only verify the archive; no database needed'
complete -c appctl -n "__fish_appctl_using_subcommand import" -l checksum -d 'After loading, read every table back and compare its rows with the archive\'s digest (slower; counts are always checked)'
complete -c appctl -n "__fish_appctl_using_subcommand import" -l no-files -d 'Leave storage files and their metadata (storage.objects) out'
complete -c appctl -n "__fish_appctl_using_subcommand import" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand import" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand import" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -f -a "compose" -d 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and not __fish_seen_subcommand_from compose help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s f -l file -d 'The project file [default: appctl.yaml in this directory or the nearest parent]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s o -l out -d 'Where to write it [default: stdout]' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -l env-file -d 'Also write the local stack\'s secrets (.appctl/secrets.json) as a .env file for Compose' -r -F
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from compose" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from help" -f -a "compose" -d 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)'
complete -c appctl -n "__fish_appctl_using_subcommand render; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand schema" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand schema" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -l env -d 'The environment of appctl.yaml to work on' -r
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -l check -d 'Ask the gateway running in this container for its health (GET /health on $PORT) and exit 0 when it answers 200: the container\'s health check, which needs no curl in the image'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -l json -d 'Print machine-readable JSON on stdout'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -s y -l yes -d 'Answer yes to every confirmation (for CI)'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -l no-color -d 'Never colour the output (NO_COLOR is honoured too)'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -s v -l verbose -d 'Say more; repeat for even more'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -s q -l quiet -d 'Print only errors and requested data'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -s h -l help -d 'Print help'
complete -c appctl -n "__fish_appctl_using_subcommand gateway" -s V -l version -d 'Print version'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "init" -d 'Create a project from a template'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "validate" -d 'Check appctl.yaml and report every problem with its line and column'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "plan" -d 'Show what a deploy would change in a database'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "deploy" -d 'Apply appctl.yaml to a database'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "pull" -d 'Write appctl.yaml from a live database'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "access" -d 'Show who may do what, read from the live database'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "up" -d 'Run the whole backend locally in containers'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "down" -d 'Stop the local stack'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "status" -d 'Show the local stack\'s services, URLs and health'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "logs" -d 'Show the logs of the local stack'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "functions" -d 'Package, list and invoke functions'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "export" -d 'Write every table, file, user and function of an instance to one archive'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "import" -d 'Load an archive made by `appctl export` into an instance'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "render" -d 'Write the local stack in another form (a Compose file)'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "completions" -d 'Print shell completions'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "schema" -d 'Print the JSON Schema of appctl.yaml'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "gateway" -d 'The stack\'s gateway (runs in its container)'
complete -c appctl -n "__fish_appctl_using_subcommand help; and not __fish_seen_subcommand_from init validate plan deploy pull access up down status logs functions export import render completions schema gateway help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appctl -n "__fish_appctl_using_subcommand help; and __fish_seen_subcommand_from functions" -f -a "package" -d 'Write a deterministic tar.gz per function; its sha256 is the function\'s version'
complete -c appctl -n "__fish_appctl_using_subcommand help; and __fish_seen_subcommand_from functions" -f -a "list" -d 'List the project\'s functions; with a database, what is deployed there'
complete -c appctl -n "__fish_appctl_using_subcommand help; and __fish_seen_subcommand_from functions" -f -a "invoke" -d 'Call a function through the gateway'
complete -c appctl -n "__fish_appctl_using_subcommand help; and __fish_seen_subcommand_from render" -f -a "compose" -d 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)'
