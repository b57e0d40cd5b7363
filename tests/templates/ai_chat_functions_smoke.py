"""Smoke test for the chat and ingest functions, standard library only: python3 smoke_test.py

Starts a tiny fake of the few PostgREST / Storage / OpenAI calls the functions make on 127.0.0.1,
runs each function as a real process against it (PORT, APPCTL_API_URL, APPCTL_SERVICE_KEY set),
calls it over HTTP and checks both the answers and the requests the function made.
The fake is test support only: the real stack is tested by appctl's own test suite.
"""

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The function sources live in the template; this test stays out of it so `init` never copies it.
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "templates", "projects", "ai-chat", "functions")
USER_A, USER_B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
TOKENS = {"jwt-a": USER_A, "jwt-b": USER_B, "service-key": "service"}  # stand-ins for JWTs
THREAD_A, THREAD_B = "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"
DOC_A, DOC_TXT, DOC_PDF, DOC_NOPATH, DOC_READY = (f"20000000-0000-4000-8000-00000000000{i}" for i in range(1, 6))


class Fake:
    """In-memory tables with owner-only row-level security, like the template's policies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.clock = 0
        self.next_id = 1
        self.tables = {
            "threads": [{"id": THREAD_A, "owner_id": USER_A, "model": "model-from-thread", "created_at": 0},
                        {"id": THREAD_B, "owner_id": USER_B, "model": "gpt-4o-mini", "created_at": 0}],
            "messages": [], "chunks": [],
            "documents": [
                {"id": DOC_A, "owner_id": USER_A, "storage_path": None, "mime_type": None, "status": "pending"},
                {"id": DOC_TXT, "owner_id": USER_B, "storage_path": f"{USER_B}/notes one.txt",
                 "mime_type": "text/plain", "status": "pending"},
                {"id": DOC_PDF, "owner_id": USER_B, "storage_path": f"{USER_B}/paper.pdf",
                 "mime_type": "application/pdf", "status": "pending"},
                {"id": DOC_NOPATH, "owner_id": USER_B, "storage_path": None, "mime_type": "text/plain",
                 "status": "pending"},
                {"id": DOC_READY, "owner_id": USER_A, "storage_path": None, "mime_type": None, "status": "ready"},
            ],
        }
        for i, doc in enumerate(self.tables["documents"]):
            doc.update(created_at=i, error=None, title=f"doc {i}")
        self.objects = {f"uploads/{USER_B}/notes one.txt": b"Stored notes about pgvector.\n\nSecond paragraph."}

    def visible(self, table, who):
        rows = self.tables[table]
        return rows if who == "service" else [r for r in rows if r.get("owner_id") == who]


FAKE = Fake()


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, raw=None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        with FAKE.lock:
            FAKE.requests.append({"method": self.command, "path": url.path, "query": url.query,
                                  "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            if url.path.startswith("/v1/"):
                return self.openai(url.path, body)
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            who = TOKENS.get(token)
            if who is None or self.headers.get("apikey") is None:
                return self.answer(401, {"code": "PGRST301", "message": "JWT invalid"})
            if url.path.startswith("/storage/v1/object/"):
                key = urllib.parse.unquote(url.path.removeprefix("/storage/v1/object/"))
                if who != "service" or key not in FAKE.objects:
                    return self.answer(404, {"error": "not_found", "message": "Object not found"})
                return self.answer(200, raw=FAKE.objects[key])
            table = url.path.removeprefix("/rest/v1/")
            if table not in FAKE.tables:
                return self.answer(404, {"code": "42P01", "message": f"relation {table} does not exist"})
            self.postgrest(table, who, urllib.parse.parse_qsl(url.query), body)

    def postgrest(self, table, who, params, body):
        opts = {k: v for k, v in params if k in ("select", "order", "limit")}
        filters = [(k, v.removeprefix("eq.")) for k, v in params if k not in opts]
        assert all(v.startswith("eq.") for k, v in params if k not in opts), params
        rows = [r for r in FAKE.visible(table, who) if all(str(r.get(k)) == v for k, v in filters)]
        prefer = self.headers.get("Prefer", "")
        if self.command == "GET":
            for key in reversed((opts.get("order") or "").split(",") if opts.get("order") else []):
                col, _, direction = key.partition(".")
                rows = sorted(rows, key=lambda r: r[col], reverse=direction == "desc")
            rows = rows[: int(opts.get("limit", 10**9))]
            if "select" in opts:
                rows = [{c: r.get(c) for c in opts["select"].split(",")} for r in rows]
            return self.answer(200, rows)
        if self.command == "POST":
            new = body if isinstance(body, list) else [body]
            for row in new:
                if who != "service" and table != "messages":
                    return self.answer(403, {"code": "42501", "message": "new row violates row-level security"})
                FAKE.clock += 1
                row = {"id": FAKE.next_id, "created_at": FAKE.clock, "owner_id": who, **row}
                FAKE.next_id += 1
                FAKE.tables[table].append(row)
            inserted = FAKE.tables[table][-len(new):]
            return self.answer(201, inserted) if "return=representation" in prefer else self.answer(201)
        if self.command == "PATCH":
            for row in rows:
                row.update(body)
            return self.answer(200, rows) if "return=representation" in prefer else self.answer(204)
        if self.command == "DELETE":
            FAKE.tables[table] = [r for r in FAKE.tables[table] if r not in rows]
            return self.answer(204)
        return self.answer(405, {"message": "method not allowed"})

    def openai(self, path, body):
        if path == "/v1/chat/completions":
            last = body["messages"][-1]["content"]
            return self.answer(200, {"model": body["model"], "usage": {"completion_tokens": 7},
                                     "choices": [{"message": {"role": "assistant", "content": f"model says: {last}"}}]})
        data = [{"index": i, "embedding": [1.0] + [0.0] * (body["dimensions"] - 1)} for i in range(len(body["input"]))]
        return self.answer(200, {"data": list(reversed(data))})  # out of order on purpose

    do_GET = do_POST = do_PATCH = do_DELETE = handle_any


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json",
                                                                         **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=20) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def start(name, argv, api_url, extra_env=None):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHAT_", "EMBEDDING_"))}
    env.update(PORT=str(port), APPCTL_API_URL=api_url, APPCTL_SERVICE_KEY="service-key",
               PYTHONDONTWRITEBYTECODE="1", **(extra_env or {}))
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a full pipe would block the function
    proc = subprocess.Popen(argv, cwd=os.path.join(HERE, name), env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            proc.log.seek(0)
            raise SystemExit(f"{name} exited early:\n{proc.log.read()}")
        try:
            if http("GET", f"{base}/health")[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(timeout=5)
    raise SystemExit(f"{name} did not answer /health within 15s")


def requests_since(mark, path_part=""):
    with FAKE.lock:
        return [r for r in FAKE.requests[mark:] if path_part in r["path"]]


def test_chat(api, procs):
    proc, base = start("chat", ["node", "index.js"], api)
    procs.append(proc)
    a = {"Authorization": "Bearer jwt-a"}
    assert http("POST", base, raw=b"{not json", headers=a)[0] == 400
    assert http("POST", base, {"thread_id": THREAD_A, "message": "hi"})[0] == 401
    assert http("POST", base, {"thread_id": "nope", "message": "hi"}, a)[0] == 400
    assert http("POST", base, {"thread_id": THREAD_A, "message": " "}, a)[0] == 400
    assert http("GET", base, headers=a)[0] == 405
    status, body = http("POST", base, {"thread_id": THREAD_B, "message": "intrude"}, a)
    assert status == 404 and "not found" in body["error"], (status, body)
    assert not FAKE.tables["messages"], "nothing is written to another user's thread"

    mark = len(FAKE.requests)
    status, body = http("POST", base, {"thread_id": THREAD_A, "message": "hello there"}, a)
    assert status == 200, (status, body)
    assert body["reply"] == "(offline) You said: hello there", body
    made = requests_since(mark, "/rest/v1/")
    assert [(r["method"], r["path"]) for r in made] == [
        ("GET", "/rest/v1/threads"), ("POST", "/rest/v1/messages"), ("GET", "/rest/v1/messages"),
        ("POST", "/rest/v1/messages"), ("PATCH", "/rest/v1/threads")], made
    assert all(r["headers"]["authorization"] == "Bearer jwt-a" and r["headers"]["apikey"] for r in made)
    assert made[1]["body"] == {"thread_id": THREAD_A, "role": "user", "content": "hello there"}
    assert "order=created_at.desc" in made[2]["query"] and "limit=" in made[2]["query"]
    msgs = FAKE.tables["messages"]
    assert [(m["role"], m["owner_id"]) for m in msgs] == [("user", USER_A), ("assistant", USER_A)]
    assert body["message_id"] == msgs[1]["id"] and msgs[1]["metadata"]["offline"] is True

    # Online path, against the fake OpenAI: the model sees the system prompt and the history in order.
    proc, base = start("chat", ["node", "index.js"], api,
                       {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{api}/v1"})
    procs.append(proc)
    mark = len(FAKE.requests)
    status, body = http("POST", base, {"thread_id": THREAD_A, "message": "second"}, a)
    assert status == 200 and body["reply"] == "model says: second", (status, body)
    sent = requests_since(mark, "/v1/chat/completions")[0]
    assert sent["headers"]["authorization"] == "Bearer sk-test" and sent["body"]["model"] == "model-from-thread"
    assert [m["role"] for m in sent["body"]["messages"]] == ["system", "user", "assistant", "user"]
    assert FAKE.tables["messages"][-1]["tokens"] == 7
    print("chat: ok")


def test_ingest(api, procs):
    proc, base = start("ingest", [sys.executable, "main.py"], api)
    procs.append(proc)
    a, b = {"Authorization": "Bearer jwt-a"}, {"Authorization": "Bearer jwt-b"}
    assert http("POST", base, raw=b"[oops", headers=a)[0] == 400
    assert http("POST", base, {"document_id": DOC_A, "text": "x"})[0] == 401
    assert http("POST", base, {"document_id": "x", "text": "x"}, a)[0] == 400
    mark = len(FAKE.requests)
    assert http("POST", base, {"document_id": DOC_A, "text": "x"}, b)[0] == 404
    assert [r["method"] for r in requests_since(mark)] == ["GET"], "a stranger's request writes nothing"

    paragraphs = [f"Paragraph {i} talks about topic{i} and vectors. " * 12 for i in range(8)]
    paragraphs += ["one very long paragraph " * 200, "x" * 3000]  # cut at spaces, then hard cuts
    text = "\n\n".join(paragraphs)
    mark = len(FAKE.requests)
    status, body = http("POST", base, {"document_id": DOC_A, "text": text}, a)
    assert status == 200 and body["status"] == "ready" and body["chunks"] > 2, (status, body)
    writes = [r for r in requests_since(mark, "/rest/v1/") if r["method"] != "GET"]
    assert all(r["headers"]["authorization"] == "Bearer service-key" for r in writes), writes
    chunks = sorted((c for c in FAKE.tables["chunks"] if c["document_id"] == DOC_A), key=lambda c: c["position"])
    assert [c["position"] for c in chunks] == list(range(body["chunks"]))
    assert all(c["owner_id"] == USER_A and len(c["content"]) <= 1200 for c in chunks)
    assert chunks[0]["content"][-60:] in chunks[1]["content"], "neighbouring chunks overlap"
    vec = json.loads(chunks[0]["embedding"])
    assert len(vec) == 1536 and abs(math.sqrt(sum(x * x for x in vec)) - 1) < 1e-4
    doc = next(d for d in FAKE.tables["documents"] if d["id"] == DOC_A)
    assert doc["status"] == "ready" and doc["error"] is None

    # Re-ingesting replaces the chunks, and the offline embedding is deterministic.
    before = [c["embedding"] for c in chunks]
    assert http("POST", base, {"document_id": DOC_A, "text": text}, a)[0] == 200
    after = [c["embedding"] for c in sorted((c for c in FAKE.tables["chunks"] if c["document_id"] == DOC_A),
                                            key=lambda c: c["position"])]
    assert after == before

    mark = len(FAKE.requests)
    status, body = http("POST", base, {}, {"X-Appctl-Trigger": "schedule"})
    assert status == 200, (status, body)
    outcome = {r["document_id"]: r["status"] for r in body["processed"]}
    assert outcome == {DOC_TXT: "ready", DOC_PDF: "failed", DOC_NOPATH: "failed"}, body
    docs = {d["id"]: d for d in FAKE.tables["documents"]}
    assert "text/*" in docs[DOC_PDF]["error"] and "storage_path" in docs[DOC_NOPATH]["error"], docs
    assert docs[DOC_READY]["status"] == "ready"
    fetched = requests_since(mark, "/storage/v1/")
    assert [r["path"] for r in fetched] == [f"/storage/v1/object/uploads/{USER_B}/notes%20one.txt"], fetched
    assert fetched[0]["headers"]["authorization"] == "Bearer service-key"
    stored = [c for c in FAKE.tables["chunks"] if c["document_id"] == DOC_TXT]
    assert len(stored) == 1 and stored[0]["owner_id"] == USER_B and "pgvector" in stored[0]["content"]
    assert http("POST", base, {}, {"X-Appctl-Trigger": "schedule"}) == (200, {"processed": []})

    # Online path: model vectors are used, re-ordered by index.
    proc, base = start("ingest", [sys.executable, "main.py"], api,
                       {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{api}/v1"})
    procs.append(proc)
    status, body = http("POST", base, {"document_id": DOC_A, "text": "short text"}, a)
    assert status == 200 and body["chunks"] == 1, (status, body)
    chunk = next(c for c in FAKE.tables["chunks"] if c["document_id"] == DOC_A)
    assert json.loads(chunk["embedding"])[:2] == [1, 0]
    print("ingest: ok")


def main():
    if shutil.which("node") is None:
        raise SystemExit("node (20+) is needed to run the chat function")
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    procs = []
    try:
        test_chat(api, procs)
        test_ingest(api, procs)
    except BaseException:
        for proc in procs:
            proc.log.seek(0)
            print(f"--- output of {' '.join(proc.args)}:\n{proc.log.read()}", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            proc.log.close()
        server.shutdown()
    print("smoke test passed")


if __name__ == "__main__":
    main()
