"""A local stand-in for Twilio's REST API, reached through the real `twilio` client over real HTTP.

It records every request (path, form fields, Basic auth user) and answers from a queue of canned replies;
with none queued it accepts the message like Twilio does (201, a fresh SM... sid, status "queued").
"""
import base64
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+15005550006"


class FakeTwilio:
    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("Authorization", "")
                user = base64.b64decode(auth.split(" ", 1)[1]).decode().split(":")[0] if " " in auth else ""
                status, payload = fake._reply(self.path, form, user)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply_with(self, status: int, payload: dict) -> None:
        """The next request gets this answer (then the default again)."""
        self.replies.append((status, payload))

    def fail_with(self, status: int, code: int | None, message: str) -> None:
        self.reply_with(status, {"code": code, "message": message, "more_info": "", "status": status})

    @property
    def messages(self) -> list[dict]:
        """The form fields of every Messages.json request received."""
        return [r["form"] for r in self.requests if r["path"].endswith("/Messages.json")]

    def _reply(self, path: str, form: dict, user: str) -> tuple[int, dict]:
        with self._lock:
            self.requests.append({"path": path, "form": form, "user": user})
            if self.replies:
                return self.replies.pop(0)
        sid = "SM" + secrets.token_hex(16)
        return 201, {"sid": sid, "account_sid": user, "to": form.get("To"), "from": form.get("From"),
                     "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
                     "status": "queued", "num_segments": "1", "direction": "outbound-api",
                     "uri": f"/2010-04-01/Accounts/{user}/Messages/{sid}.json"}
