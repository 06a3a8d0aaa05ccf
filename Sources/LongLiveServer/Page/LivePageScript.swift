/// The live page's JavaScript: the WebSocket client of docs/protocol.md, a frame buffer played at
/// the video's frame rate, the prompt timeline and the stats.
enum LivePageScript {
    static let js = #"""
    'use strict';
    const $ = (id) => document.getElementById(id);
    const token = new URLSearchParams(location.search).get('token');
    const withToken = (path) => token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path;
    // Test hooks and the page's whole state.
    const S = window.longlive = { connected: false, running: false, paused: false, fps: 16, framesReceived: 0, framesShown: 0,
      switches: [], stats: null, errors: [], take: 1, totalFrames: 0, finished: false };
    const canvas = $('video'), ctx = canvas.getContext('2d');
    let ws = null, buffer = [], playing = false, timer = null, maxFrame = 1;

    function log(text, cls) {
      const line = document.createElement('div');
      line.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
      if (cls) line.className = cls;
      $('log').prepend(line);
    }

    function setButtons() {
      $('start').disabled = !S.connected || S.running;
      $('pause').disabled = !S.running; $('pause').textContent = S.paused ? 'Resume' : 'Pause';
      $('stop').disabled = !S.running; $('reset').disabled = !S.running;
    }

    function connect() {
      const proto = location.protocol === 'https:' ? 'wss' : 'ws';
      ws = new WebSocket(withToken(`${proto}://${location.host}/ws`));
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => { S.connected = true; $('conn').textContent = 'connected'; $('conn').className = 'pill ok'; setButtons(); };
      ws.onclose = (e) => {
        S.connected = false; S.running = false; setButtons();
        $('conn').textContent = `disconnected${e.reason ? ': ' + e.reason : ''}`; $('conn').className = 'pill bad';
      };
      ws.onmessage = (e) => typeof e.data === 'string' ? onText(JSON.parse(e.data)) : onFrame(e.data);
    }

    function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

    // Binary frame: "LLF1", index u32, width u16, height u16, take u32, then RGB (docs/protocol.md).
    function onFrame(data) {
      const view = new DataView(data);
      if (data.byteLength < 16 || view.getUint32(0) !== 0x4C4C4631) return;
      const index = view.getUint32(4), w = view.getUint16(8), h = view.getUint16(10), take = view.getUint32(12);
      if (take !== S.take) return;  // a frame of a take that was reset
      const rgb = new Uint8Array(data, 16), img = new ImageData(w, h);
      for (let i = 0, j = 0; i < w * h * 3; i += 3, j += 4) {
        img.data[j] = rgb[i]; img.data[j + 1] = rgb[i + 1]; img.data[j + 2] = rgb[i + 2]; img.data[j + 3] = 255;
      }
      buffer.push({ index, img });
      if (buffer.length > 512) buffer.shift();  // never hold more than ~30 s
      S.framesReceived++;
      maxFrame = Math.max(maxFrame, index + 1);
      $('buffer').textContent = `buffer ${buffer.length}`;
      if (!playing && buffer.length >= 3) startPlayback();
    }

    // Frames play at the video's rate from the buffer, whatever the network's timing.
    function startPlayback() {
      playing = true;
      clearInterval(timer);
      timer = setInterval(() => {
        const f = buffer.shift();
        if (!f) { $('playback').textContent = S.running ? 'buffering…' : 'ended'; return; }
        if (canvas.width !== f.img.width) { canvas.width = f.img.width; canvas.height = f.img.height; }
        ctx.putImageData(f.img, 0, 0);
        S.framesShown++;
        $('playback').textContent = `frame ${f.index}`;
        $('buffer').textContent = `buffer ${buffer.length}`;
        $('progress').style.width = `${Math.min(100, 100 * (f.index + 1) / Math.max(S.totalFrames, 1))}%`;
      }, 1000 / S.fps);
    }

    function addSwitch(m) {
      S.switches.push({ frame: m.frame, text: m.text, delay: m.delay });
      const mark = document.createElement('div');
      mark.className = 'marker' + (m.frame === 0 ? ' first' : '');
      mark.dataset.frame = m.frame;
      mark.title = `frame ${m.frame}: ${m.text}`;
      mark.style.left = `${100 * m.frame / Math.max(S.totalFrames, 1)}%`;
      $('timeline').appendChild(mark);
      const item = document.createElement('li');
      const delay = m.delay == null ? '' : ` (${m.delay.toFixed(2)} s after Enter)`;
      item.innerHTML = `<b>frame ${m.frame}</b>${delay}: `;
      item.appendChild(document.createTextNode(m.text));
      $('switches').appendChild(item);
    }

    function clearTake() {
      buffer = []; maxFrame = 1; S.switches = [];
      document.querySelectorAll('.marker').forEach((m) => m.remove());
      $('switches').innerHTML = ''; $('progress').style.width = '0';
    }

    function onText(m) {
      switch (m.type) {
        case 'hello':
          S.fps = m.fps; canvas.width = m.width; canvas.height = m.height;
          log(`server ready: ${m.width}×${m.height} at ${m.fps} fps, ${m.sessions}/${m.maxSessions} sessions in use`);
          break;
        case 'started':
          S.running = true; S.paused = false; S.finished = false; S.take = 1; S.totalFrames = m.frames; S.fps = m.fps;
          clearTake(); $('download').classList.add('hidden'); setButtons();
          log(`session ${m.session} started, seed ${m.seed}, ${m.switchPolicy}, ${m.frames} frames`);
          break;
        case 'promptApplied': if (m.take === S.take) addSwitch(m); break;
        case 'stats': showStats(m); break;
        case 'reset': S.take = m.take; clearTake(); log('reset: the video starts over'); break;
        case 'finished':
          S.running = false; S.finished = true; setButtons();
          log(`finished after ${m.frames} frames`);
          if (m.download) { $('download').href = withToken(m.download); $('download').classList.remove('hidden'); }
          break;
        case 'error':
          S.errors.push(m); log(`${m.code}: ${m.message}`, 'error');
          break;
        case 'pong': break;
      }
    }

    function showStats(m) {
      S.stats = m; S.paused = m.state === 'paused'; setButtons();
      $('sState').textContent = m.state;
      $('sFrames').textContent = m.frames;
      $('sFps').textContent = m.fps.toFixed(1);
      $('sChunk').textContent = `${m.chunkMs} ms`;
      $('sMem').textContent = `${(m.memoryBytes / 1048576).toFixed(0)} MiB`;
      $('sSwitch').textContent = m.lastSwitchFrame == null ? '—' : `frame ${m.lastSwitchFrame}, ${m.lastSwitchDelay.toFixed(2)} s after Enter`;
    }

    $('start').onclick = () => send({ type: 'start', prompt: $('prompt').value, seed: Number($('seed').value) || 0,
      switchPolicy: $('policy').value, frames: Number($('frames').value) || undefined });
    $('pause').onclick = () => send({ type: S.paused ? 'resume' : 'pause' });
    $('stop').onclick = () => send({ type: 'stop' });
    $('reset').onclick = () => send({ type: 'reset' });
    $('promptForm').onsubmit = (e) => {
      e.preventDefault();
      const text = $('prompt').value.trim();
      if (!text) return;
      if (S.running) { send({ type: 'prompt', text }); log(`prompt sent: ${text}`); } else $('start').click();
    };
    connect();
    """#
}
