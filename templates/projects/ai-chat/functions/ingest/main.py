"""ingest: turns a document into embedded chunks for retrieval. Standard library only.

POST {document_id, text?} -> {document_id, status, chunks}; without `text`, reads the upload.
POST with X-Appctl-Trigger: schedule -> ingests a bounded batch of `pending` documents.
Contract: templates/README.md in the appctl repository. `chunks` is writable only by the service
role, so writes use APPCTL_SERVICE_KEY, after a read *as the caller* proved they own the document.
"""

import hashlib
import json
import math
import os
import re
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_URL = os.environ.get("APPCTL_API_URL", "http://localhost:8000").rstrip("/")
SERVICE_KEY = os.environ.get("APPCTL_SERVICE_KEY", "")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1").rstrip("/")
EMBEDDING_MODEL = os.environ.get("EMBEDDING_MODEL", "text-embedding-3-small")

DIMENSIONS = 1536  # chunks.embedding is vector(1536)
CHUNK_CHARS = 1200  # ~300 tokens: small enough to be specific, large enough to carry context
OVERLAP_CHARS = 200  # repeated between neighbours so a sentence cut at a boundary stays findable
MAX_TEXT_CHARS = 2_000_000  # bounds memory, time and embedding cost per document
MAX_BODY_BYTES = 8 * 1024 * 1024
BATCH_DOCUMENTS = 10  # per scheduled run: a run must finish within the function's timeout
EMBED_BATCH = 64  # inputs per embeddings request
INSERT_BATCH = 100  # rows per insert; each row carries a 1536-number vector
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class HttpError(Exception):
    def __init__(self, status, message):  # an error that carries the HTTP status to answer with
        super().__init__(message)
        self.status = status


def call(method, url, headers, body=None, timeout=30, limit=None):
    """One HTTP request; returns the raw response bytes (at most `limit`+1 when given)."""
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.read() if limit is None else res.read(limit + 1)
    except urllib.error.HTTPError as err:
        detail = err.read(2000).decode("utf-8", "replace")
        try:  # PostgREST says {message}, Storage {error, message}, OpenAI {error: {message}}
            parsed = json.loads(detail)
            detail = parsed.get("message") or (parsed.get("error") or {}).get("message") or detail
        except (ValueError, AttributeError):
            pass
        # 4xx are the caller's (bad JWT, row-level security): pass them on; 5xx are upstream's.
        status = err.code if 400 <= err.code < 500 else 502
        raise HttpError(status, f"{method} {url.split('?')[0]} failed ({err.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as err:
        raise HttpError(502, f"{method} {url.split('?')[0]} failed: {err}") from None


def rest(method, path, auth, body=None, prefer=None):
    """PostgREST call; `auth` is the bearer token (the caller's JWT or the service key)."""
    headers = {"Authorization": f"Bearer {auth}", "apikey": auth, "Accept": "application/json"}
    if prefer:
        headers["Prefer"] = prefer
    raw = call(method, f"{API_URL}/rest/v1/{path}", headers, body)
    return json.loads(raw) if raw else None


def split_text(text):
    """Chunks of at most CHUNK_CHARS: whole paragraphs packed together, a paragraph too long for
    one chunk cut at a space, and each chunk starting with the tail of the one before."""
    room = CHUNK_CHARS - OVERLAP_CHARS - 2  # what a chunk holds besides the carried-over tail
    pieces = []
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        while len(para) > room:
            cut = para.rfind(" ", room // 2, room)
            cut = cut if cut > 0 else room  # no space: a hard cut
            pieces.append(para[:cut])
            para = para[cut:].lstrip()
        if para:
            pieces.append(para)
    chunks, current = [], ""
    for piece in pieces:
        if current and len(current) + 2 + len(piece) > CHUNK_CHARS:
            chunks.append(current)
            tail = current[max(0, len(current) - OVERLAP_CHARS):] if OVERLAP_CHARS else ""
            space = tail.find(" ")
            current = tail[space + 1:] if space >= 0 else tail  # start the overlap on a word
        current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def offline_embedding(text):
    """Deterministic stand-in for a model, so local development needs no key: a hashed bag of
    words (feature hashing) into DIMENSIONS, L2-normalised. Texts sharing words are close under
    cosine distance, which is enough to exercise retrieval; it carries no meaning beyond that.
    sha256 rather than hash(): Python salts hash() per process, and vectors must be stable."""
    vec = [0.0] * DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % DIMENSIONS
        vec[index] += 1.0 if digest[4] & 1 else -1.0  # signed, so collisions tend to cancel
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


def embed(texts):
    if not OPENAI_API_KEY:
        return [offline_embedding(t) for t in texts]
    vectors = []
    for start in range(0, len(texts), EMBED_BATCH):
        body = {"model": EMBEDDING_MODEL, "input": texts[start:start + EMBED_BATCH]}
        if EMBEDDING_MODEL.startswith("text-embedding-3"):
            body["dimensions"] = DIMENSIONS  # lets text-embedding-3-large fit the column too
        headers = {"Authorization": f"Bearer {OPENAI_API_KEY}"}
        try:
            data = json.loads(call("POST", f"{OPENAI_BASE_URL}/embeddings", headers, body, timeout=60))
        except HttpError as err:  # a bad API key is not the caller's fault: never answer it as a 401
            raise HttpError(502, f"embedding request failed: {err}") from None
        for item in sorted(data["data"], key=lambda d: d["index"]):
            if len(item["embedding"]) != DIMENSIONS:
                raise HttpError(502, f"{EMBEDDING_MODEL} returned {len(item['embedding'])} dimensions, "
                                     f"the column holds {DIMENSIONS}")
            vectors.append(item["embedding"])
    return vectors


def vector_literal(vec):
    return "[" + ",".join(f"{x:.7g}" for x in vec) + "]"  # pgvector's text input format


def read_upload(doc):
    """The document's text from the uploads bucket; only text/* is read (no PDF parser here)."""
    path, mime = doc.get("storage_path"), (doc.get("mime_type") or "").lower()
    if not path:
        raise HttpError(422, "no text to ingest: the document has no storage_path and the request had no text")
    if not mime.startswith("text/"):
        raise HttpError(422, f"cannot extract text from {mime or 'an unknown type'}: this function reads "
                             "text/* files only; send {document_id, text} with extracted text instead")
    url = f"{API_URL}/storage/v1/object/uploads/{urllib.parse.quote(path.lstrip('/'), safe='/')}"
    headers = {"Authorization": f"Bearer {SERVICE_KEY}", "apikey": SERVICE_KEY}
    raw = call("GET", url, headers, timeout=60, limit=MAX_TEXT_CHARS * 4)
    return raw.decode("utf-8", "replace")


def set_status(doc_id, status, error=None):
    rest("PATCH", f"documents?id=eq.{doc_id}", SERVICE_KEY, {"status": status, "error": error}, "return=minimal")


def ingest(doc, text):
    """Replaces the document's chunks and marks it ready, or marks it failed and re-raises."""
    doc_id = doc["id"]
    try:
        if text is None:
            text = read_upload(doc)
        if len(text) > MAX_TEXT_CHARS:
            raise HttpError(413, f"text is longer than {MAX_TEXT_CHARS} characters")
        chunks = split_text(text)
        if not chunks:
            raise HttpError(422, "the document has no text")
        vectors = embed(chunks)
        rows = [{"document_id": doc_id, "owner_id": doc["owner_id"], "position": i,
                 "content": c, "embedding": vector_literal(v)}
                for i, (c, v) in enumerate(zip(chunks, vectors))]
        # Delete first: re-ingesting a document replaces its chunks instead of clashing on
        # unique (document_id, position) or leaving stale tail chunks behind.
        rest("DELETE", f"chunks?document_id=eq.{doc_id}", SERVICE_KEY, prefer="return=minimal")
        for start in range(0, len(rows), INSERT_BATCH):
            rest("POST", "chunks", SERVICE_KEY, rows[start:start + INSERT_BATCH], "return=minimal")
        set_status(doc_id, "ready")
        return {"document_id": doc_id, "status": "ready", "chunks": len(rows)}
    except Exception as err:
        message = str(err)[:1000] or type(err).__name__
        try:
            set_status(doc_id, "failed", message)
        except HttpError as mark:
            print(f"ingest: could not mark {doc_id} failed: {mark}", file=sys.stderr)
        raise


def claim(doc_id):
    """pending -> processing in one conditional update, so overlapping runs never share a document."""
    rows = rest("PATCH", f"documents?id=eq.{doc_id}&status=eq.pending", SERVICE_KEY,
                {"status": "processing", "error": None}, "return=representation")
    return rows[0] if rows else None


def run_schedule():
    pending = rest("GET", f"documents?status=eq.pending&select=id&order=created_at.asc&limit={BATCH_DOCUMENTS}",
                   SERVICE_KEY)
    results = []
    for doc in filter(None, map(claim, (row["id"] for row in pending))):  # None: another run took it
        try:
            results.append(ingest(doc, None))
        except Exception as err:
            results.append({"document_id": doc["id"], "status": "failed", "error": str(err)})
    return {"processed": results}


def run_request(authorization, body):
    doc_id, text = body.get("document_id"), body.get("text")
    if not isinstance(doc_id, str) or not UUID_RE.match(doc_id):
        raise HttpError(400, "`document_id` must be a UUID string")
    if text is not None and not isinstance(text, str):
        raise HttpError(400, "`text` must be a string when given")
    token = authorization.split(None, 1)[1]
    # As the caller: row-level security returns the row only to its owner (or the service role).
    found = rest("GET", f"documents?id=eq.{doc_id}&select=id,owner_id,storage_path,mime_type", token)
    if not found:
        raise HttpError(404, f"document {doc_id} not found")
    set_status(doc_id, "processing")
    return ingest(found[0], text)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.split("?")[0].endswith("/health"):
            self.send_json(200, {"ok": True})
        else:
            self.send_json(405, {"error": "use POST with a JSON body {document_id, text}"})

    def do_POST(self):
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self.close_connection = True  # the gateway sends Content-Length (see the contract)
                raise HttpError(411, "send the body with a Content-Length")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self.close_connection = True  # the unread body would corrupt the next request
                raise HttpError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
            raw = self.rfile.read(length)
            if self.headers.get("X-Appctl-Trigger", "").lower() == "schedule":
                return self.send_json(200, run_schedule())
            authorization = self.headers.get("Authorization", "")
            if not re.match(r"(?i)^bearer\s+\S+", authorization):
                raise HttpError(401, "missing `Authorization: Bearer <jwt>`")
            try:
                body = json.loads(raw or b"null")
            except ValueError as err:
                raise HttpError(400, f"request body is not valid JSON: {err}") from None
            if not isinstance(body, dict):
                raise HttpError(400, "request body must be a JSON object {document_id, text}")
            self.send_json(200, run_request(authorization, body))
        except HttpError as err:
            self.send_json(err.status, {"error": str(err)})
        except Exception as err:  # a bug: say so, keep serving
            print(f"ingest: {type(err).__name__}: {err}", file=sys.stderr)
            self.send_json(500, {"error": f"internal error: {err}"})

    def log_message(self, fmt, *args):
        print("ingest: " + fmt % args, file=sys.stderr)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    # As a container's PID 1, Python has no default SIGTERM action: exit cleanly on `docker stop`.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    print(f"ingest listening on 0.0.0.0:{port}", flush=True)
    server.serve_forever()
