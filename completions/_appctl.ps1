
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'appctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'appctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'appctl' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a project from a template')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check appctl.yaml and report every problem with its line and column')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show what a deploy would change in a database')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Apply appctl.yaml to a database')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Write appctl.yaml from a live database')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Show who may do what, read from the live database')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Run the whole backend locally in containers')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop the local stack')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the local stack''s services, URLs and health')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the logs of the local stack')
            [CompletionResult]::new('functions', 'functions', [CompletionResultType]::ParameterValue, 'Package, list and invoke functions')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every table, file, user and function of an instance to one archive')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load an archive made by `appctl export` into an instance')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Write the local stack in another form (a Compose file)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of appctl.yaml')
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'The stack''s gateway (runs in its container)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;init' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'The template: blank or ai-chat')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'The template: blank or ai-chat')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The project name [default: derived from the directory]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The project name [default: derived from the directory]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite files that already exist')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;validate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;plan' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Save the plan to a file for `appctl deploy --plan`')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Save the plan to a file for `appctl deploy --plan`')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--sql', '--sql', [CompletionResultType]::ParameterName, 'Show the SQL statements of each change')
            [CompletionResult]::new('--markdown', '--markdown', [CompletionResultType]::ParameterName, 'Render the plan as Markdown, for a pull-request comment')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Plan `online` indexes as concurrent builds after the transaction')
            [CompletionResult]::new('--bootstrap', '--bootstrap', [CompletionResultType]::ParameterName, 'Plan as if the platform roles, auth helpers and storage tables existed (`deploy --bootstrap`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;deploy' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Apply a plan saved with `appctl plan -o`; refused when the database changed since')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another deploy''s lock, e.g. 5m')
            [CompletionResult]::new('--ddl-lock-timeout', '--ddl-lock-timeout', [CompletionResultType]::ParameterName, 'lock_timeout of each DDL statement: fail rather than queue every query behind a table lock')
            [CompletionResult]::new('--statement-timeout', '--statement-timeout', [CompletionResultType]::ParameterName, 'statement_timeout of each statement')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--allow-destructive', '--allow-destructive', [CompletionResultType]::ParameterName, 'Allow changes that drop tables, columns or data')
            [CompletionResult]::new('--online', '--online', [CompletionResultType]::ParameterName, 'Build `online` indexes with CREATE INDEX CONCURRENTLY after the transaction')
            [CompletionResult]::new('--bootstrap', '--bootstrap', [CompletionResultType]::ParameterName, 'Create the roles, auth helpers and storage tables on a plain Postgres')
            [CompletionResult]::new('--no-functions', '--no-functions', [CompletionResultType]::ParameterName, 'Deploy the schema only: leave the functions on the environment''s docker_host as they are')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;pull' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the project file [default: stdout]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the project file [default: stdout]')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The schema to read')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The project name to write [default: derived from the database name]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the output file if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;access' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;up' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'When to pull images')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--allow-destructive', '--allow-destructive', [CompletionResultType]::ParameterName, 'Apply schema changes that drop tables, columns or data in the local db')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep running: when a function''s files, appctl.yaml or .env change, apply just that change')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;down' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--volumes', '--volumes', [CompletionResultType]::ParameterName, 'Also remove the volumes (all local data)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;status' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;logs' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file (`-f` means --follow here, as in `docker compose logs -f`)')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'How many lines to show from the end')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing new lines')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new lines')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;functions' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('package', 'package', [CompletionResultType]::ParameterValue, 'Write a deterministic tar.gz per function; its sha256 is the function''s version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s functions; with a database, what is deployed there')
            [CompletionResult]::new('invoke', 'invoke', [CompletionResultType]::ParameterValue, 'Call a function through the gateway')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;functions;package' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write <name>.tar.gz [default: .appctl/packages beside appctl.yaml]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write <name>.tar.gz [default: .appctl/packages beside appctl.yaml]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--include-deps', '--include-deps', [CompletionResultType]::ParameterName, 'Also pack dependency folders (node_modules, .venv, virtualenvs)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;functions;list' {
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;functions;invoke' {
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'The JSON body')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Who calls: anon, service or user:<uuid>')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The gateway to call [default: the local stack''s; with --env, the environment''s `gateway` on its docker_host]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;functions;help' {
            [CompletionResult]::new('package', 'package', [CompletionResultType]::ParameterValue, 'Write a deterministic tar.gz per function; its sha256 is the function''s version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s functions; with a database, what is deployed there')
            [CompletionResult]::new('invoke', 'invoke', [CompletionResultType]::ParameterValue, 'Call a function through the gateway')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;functions;help;package' {
            break
        }
        'appctl;functions;help;list' {
            break
        }
        'appctl;functions;help;invoke' {
            break
        }
        'appctl;functions;help;help' {
            break
        }
        'appctl;export' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The archive to write (`.tar.zst`; a name ending in `.tar` is written uncompressed)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The archive to write (`.tar.zst`; a name ending in `.tar` is written uncompressed)')
            [CompletionResult]::new('--tables', '--tables', [CompletionResultType]::ParameterName, 'Only these tables')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out these tables')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'S3 endpoint holding the bucket files, e.g. http://127.0.0.1:9000 [default: the environment''s storage.endpoint]; keys come from APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY')
            [CompletionResult]::new('--s3-region', '--s3-region', [CompletionResultType]::ParameterName, 'S3 region [default: the environment''s storage.region, else us-east-1]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Connections reading tables at once')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--no-files', '--no-files', [CompletionResultType]::ParameterName, 'Leave storage files and their metadata (storage.objects) out')
            [CompletionResult]::new('--no-users', '--no-users', [CompletionResultType]::ParameterName, 'Leave out auth users and identities')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite the archive if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;import' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Postgres connection URL [default: DATABASE_URL, else the environment''s database_url]')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'What to do with a row whose key already exists')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'S3 endpoint holding the bucket files, e.g. http://127.0.0.1:9000 [default: the environment''s storage.endpoint]; keys come from APPCTL_S3_ACCESS_KEY_ID and APPCTL_S3_SECRET_ACCESS_KEY')
            [CompletionResult]::new('--s3-region', '--s3-region', [CompletionResultType]::ParameterName, 'S3 region [default: the environment''s storage.region, else us-east-1]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check everything and show what would be written, write nothing')
            [CompletionResult]::new('--verify-only', '--verify-only', [CompletionResultType]::ParameterName, 'Only verify the archive; no database needed')
            [CompletionResult]::new('--checksum', '--checksum', [CompletionResultType]::ParameterName, 'After loading, read every table back and compare its rows with the archive''s digest (slower; counts are always checked)')
            [CompletionResult]::new('--no-files', '--no-files', [CompletionResultType]::ParameterName, 'Leave storage files and their metadata (storage.objects) out')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;render' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('compose', 'compose', [CompletionResultType]::ParameterValue, 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;render;compose' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The project file [default: appctl.yaml in this directory or the nearest parent]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write it [default: stdout]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write it [default: stdout]')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Also write the local stack''s secrets (.appctl/secrets.json) as a .env file for Compose')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;render;help' {
            [CompletionResult]::new('compose', 'compose', [CompletionResultType]::ParameterValue, 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;render;help;compose' {
            break
        }
        'appctl;render;help;help' {
            break
        }
        'appctl;completions' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;schema' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;gateway' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment of appctl.yaml to work on')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Ask the gateway running in this container for its health (GET /health on $PORT) and exit 0 when it answers 200: the container''s health check, which needs no curl in the image')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation (for CI)')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Never colour the output (NO_COLOR is honoured too)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more; repeat for even more')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and requested data')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'appctl;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a project from a template')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check appctl.yaml and report every problem with its line and column')
            [CompletionResult]::new('plan', 'plan', [CompletionResultType]::ParameterValue, 'Show what a deploy would change in a database')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Apply appctl.yaml to a database')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Write appctl.yaml from a live database')
            [CompletionResult]::new('access', 'access', [CompletionResultType]::ParameterValue, 'Show who may do what, read from the live database')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Run the whole backend locally in containers')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop the local stack')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the local stack''s services, URLs and health')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the logs of the local stack')
            [CompletionResult]::new('functions', 'functions', [CompletionResultType]::ParameterValue, 'Package, list and invoke functions')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every table, file, user and function of an instance to one archive')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Load an archive made by `appctl export` into an instance')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Write the local stack in another form (a Compose file)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of appctl.yaml')
            [CompletionResult]::new('gateway', 'gateway', [CompletionResultType]::ParameterValue, 'The stack''s gateway (runs in its container)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appctl;help;init' {
            break
        }
        'appctl;help;validate' {
            break
        }
        'appctl;help;plan' {
            break
        }
        'appctl;help;deploy' {
            break
        }
        'appctl;help;pull' {
            break
        }
        'appctl;help;access' {
            break
        }
        'appctl;help;up' {
            break
        }
        'appctl;help;down' {
            break
        }
        'appctl;help;status' {
            break
        }
        'appctl;help;logs' {
            break
        }
        'appctl;help;functions' {
            [CompletionResult]::new('package', 'package', [CompletionResultType]::ParameterValue, 'Write a deterministic tar.gz per function; its sha256 is the function''s version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the project''s functions; with a database, what is deployed there')
            [CompletionResult]::new('invoke', 'invoke', [CompletionResultType]::ParameterValue, 'Call a function through the gateway')
            break
        }
        'appctl;help;functions;package' {
            break
        }
        'appctl;help;functions;list' {
            break
        }
        'appctl;help;functions;invoke' {
            break
        }
        'appctl;help;export' {
            break
        }
        'appctl;help;import' {
            break
        }
        'appctl;help;render' {
            [CompletionResult]::new('compose', 'compose', [CompletionResultType]::ParameterValue, 'Write the stack as a Docker Compose file (secrets as ${APPCTL_...} variables)')
            break
        }
        'appctl;help;render;compose' {
            break
        }
        'appctl;help;completions' {
            break
        }
        'appctl;help;schema' {
            break
        }
        'appctl;help;gateway' {
            break
        }
        'appctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
