import Hummingbird
import Logging
import LongLiveEngine
import LongLiveMedia

/// The live preview of `longlive interactive --preview PORT`: a page on 127.0.0.1 that shows the
/// newest frame (fetched as PNG at the video's frame rate) and the status line, for watching a run
/// with no window of its own. Read-only: prompts are typed in the terminal.
public struct PreviewServer: Sendable {
    let run: LiveRun
    let fps: Int
    let port: Int

    public init(run: LiveRun, fps: Int, port: Int) {
        self.run = run
        self.fps = fps
        self.port = port
    }

    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        let page = PreviewServer.page(fps: fps)
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/frame.png") { [run] _, _ in
            guard let frame = await run.latestFrame else { throw HTTPError(.notFound, message: "no frame yet") }
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: PNGWriter.encode(frame))))
        }
        router.get("/status") { [run] _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ServerJSON.stats(await run.status).serialized())))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "longlive-preview"),
                              onServerRunning: { onListening($0.localAddress?.port ?? 0) })
        try await app.run()
    }

    static func page(fps: Int) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>longlive preview</title>
        <style>body{background:#111;color:#ddd;font:14px system-ui,sans-serif;margin:2em}
        img{width:384px;height:384px;image-rendering:pixelated;background:#000;display:block}</style></head>
        <body><h1>longlive interactive — preview</h1><img id="v" alt="waiting for the first frame">
        <p id="s">connecting…</p><p>Type prompts in the terminal running <code>longlive interactive</code>.</p>
        <script>
        const img = document.getElementById('v'), s = document.getElementById('s');
        let n = 0, busy = false;
        setInterval(() => { if (busy) return; busy = true; const next = new Image();
          next.onload = () => { img.src = next.src; busy = false; }; next.onerror = () => { busy = false; };
          next.src = '/frame.png?n=' + (n++); }, \(1000 / max(1, fps)));
        setInterval(async () => { try { const j = await (await fetch('/status')).json();
          s.textContent = `${j.state} | frame ${j.frames} | ${j.fps.toFixed(1)} FPS | chunk ${j.chunkMs} ms | prompt: ${j.prompt}`;
        } catch (e) { s.textContent = 'the run has ended'; } }, 500);
        </script></body></html>
        """
    }
}
