"""Drives headless Chromium through its DevTools protocol (standard library only: a minimal
WebSocket client) against the live page of `longlive serve`. Usage: browser_test.py URL OUTDIR."""
import base64, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.request


class CDP:
    """A WebSocket (RFC 6455) client just big enough for DevTools: text frames, masking, no extensions."""

    def __init__(self, url):
        host_port, path = url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools upgrade refused: {head!r}")
        self.next_id = 0
        self.events = []

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("DevTools connection closed")
            data += chunk
        return data

    def _send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            message += self._recv_exact(n)
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = self._recv()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)


def main(url, out):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        sys.exit("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="longlive-chromium-")
    browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1100,900",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        for _ in range(600):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        cdp = CDP(page["webSocketDebuggerUrl"])
        run(cdp, url, out)
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def run(cdp, url, out):
    def js(expression):
        r = cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(expression, what, seconds=300):
        end = time.time() + seconds
        while time.time() < end:
            if js(expression):
                return
            time.sleep(0.2)
        shot("failure")
        raise RuntimeError(f"timed out waiting for {what} ({expression}); state: {js('JSON.stringify(window.longlive)')}")

    shots = []

    def shot(name):
        data = cdp.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(out, f"{len(shots) + 1:02d}-{name}.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        shots.append(path)

    def click(element_id):
        box = js(f"(() => {{ const r = document.getElementById('{element_id}').getBoundingClientRect();"
                 f" return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            cdp.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def key(name, code, keycode, modifiers=0, text=None):
        params = dict(key=name, code=code, windowsVirtualKeyCode=keycode, modifiers=modifiers)
        cdp.call("Input.dispatchKeyEvent", type="keyDown", **params, **({"text": text} if text else {}))
        cdp.call("Input.dispatchKeyEvent", type="keyUp", **params)

    cdp.call("Page.enable")
    cdp.call("Runtime.enable")
    cdp.call("Page.navigate", url=url)
    wait_for("window.longlive && window.longlive.connected", "the WebSocket to connect", 60)
    shot("connected")

    click("start")
    wait_for("window.longlive.running", "the session to start", 60)
    wait_for("window.longlive.framesShown >= 12", "frames to play")
    shot("playing")

    # Type a new prompt as a person would: click the box, select all, type, press Enter.
    new_prompt = "a small green square moves up on a yellow striped background"
    click("prompt")
    key("a", "KeyA", 65, modifiers=2)  # Ctrl+A
    cdp.call("Input.insertText", text=new_prompt)
    key("Enter", "Enter", 13, text="\r")
    wait_for(f"window.longlive.switches.some(s => s.text === {json.dumps(new_prompt)})", "the switch to apply")
    frame = js(f"window.longlive.switches.find(s => s.text === {json.dumps(new_prompt)}).frame")
    wait_for(f"document.querySelectorAll('.marker').length >= 2", "the switch marker")
    wait_for(f"window.longlive.stats && window.longlive.stats.prompt === {json.dumps(new_prompt)}", "the stats to show the new prompt")
    wait_for(f"window.longlive.framesShown > {frame} + 6", "frames after the switch to play")
    stats = js("window.longlive.stats")
    shown = js("document.getElementById('sFps').textContent + ' FPS, chunk ' + document.getElementById('sChunk').textContent"
               " + ', memory ' + document.getElementById('sMem').textContent")
    shot("switched")

    click("stop")
    wait_for("window.longlive.finished", "the session to finish", 60)
    wait_for("!document.getElementById('download').classList.contains('hidden')", "the download link", 10)
    shot("finished")

    errors = js("window.longlive.errors")
    summary = {"switchFrame": frame, "framesReceived": js("window.longlive.framesReceived"),
               "framesShown": js("window.longlive.framesShown"), "markers": js("document.querySelectorAll('.marker').length"),
               "stats": stats, "statsShown": shown, "errors": errors, "screenshots": shots}
    print(json.dumps(summary, indent=2))
    if errors:
        raise RuntimeError(f"the page reported errors: {errors}")
    if frame % 3 != 0 or frame <= 0:
        raise RuntimeError(f"switch at frame {frame} is not a later chunk boundary")
    print("browser test passed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
