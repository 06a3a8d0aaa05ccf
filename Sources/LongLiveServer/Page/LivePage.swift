/// The live page served at `/` by `longlive serve`: hand-written HTML, CSS and JavaScript with no
/// external resources. Its parts are in ``LivePageStyle`` and ``LivePageScript``.
///
/// For tests (scripts/browser-test) the script keeps its state in `window.longlive`
/// (frames received and shown, switches, last stats).
enum LivePage {
    static var html: String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>LongLive — live</title><style>\(LivePageStyle.css)</style></head>
        <body>
        <header><h1>LongLive <span>live</span></h1><div id="conn" class="pill">connecting…</div></header>
        <main>
          <section class="player">
            <canvas id="video" width="64" height="64" aria-label="live video"></canvas>
            <div class="under">
              <span id="playback">idle</span>
              <span id="buffer">buffer 0</span>
            </div>
            <form id="promptForm" autocomplete="off">
              <input id="prompt" type="text" placeholder="Type a prompt and press Enter to switch" value="a small red circle moves right on a blue background">
            </form>
            <div class="timeline" id="timeline" title="prompt timeline"><div id="progress"></div></div>
            <ol id="switches"></ol>
          </section>
          <aside>
            <fieldset>
              <legend>Session</legend>
              <label>Seed <input id="seed" type="number" min="0" value="0"></label>
              <label>Switch policy <select id="policy"><option>recache</option><option>keep</option><option>reset</option></select></label>
              <label>Frames <input id="frames" type="number" min="3" step="3" value="480"></label>
              <div class="buttons">
                <button id="start">Start</button><button id="pause" disabled>Pause</button>
                <button id="stop" disabled>Stop</button><button id="reset" disabled>Reset</button>
              </div>
              <a id="download" class="hidden" download>Download video (APNG)</a>
            </fieldset>
            <fieldset>
              <legend>Stats</legend>
              <dl>
                <dt>State</dt><dd id="sState">—</dd>
                <dt>Frames</dt><dd id="sFrames">0</dd>
                <dt>Generation FPS</dt><dd id="sFps">—</dd>
                <dt>Chunk latency</dt><dd id="sChunk">—</dd>
                <dt>Last switch</dt><dd id="sSwitch">—</dd>
                <dt>Server memory</dt><dd id="sMem">—</dd>
              </dl>
            </fieldset>
            <div id="log" role="log"></div>
          </aside>
        </main>
        <script>\(LivePageScript.js)</script>
        </body></html>
        """
    }
}
