/// The live page's CSS.
enum LivePageStyle {
    static let css = """
    :root { --bg:#101418; --panel:#1a2027; --text:#e4e8ec; --dim:#8a96a3; --accent:#4fb3ff; --mark:#ffb347; --bad:#ff6b6b; }
    * { box-sizing:border-box; }
    body { margin:0; background:var(--bg); color:var(--text); font:14px/1.4 system-ui, sans-serif; }
    header { display:flex; align-items:center; justify-content:space-between; padding:12px 20px; border-bottom:1px solid #2a323b; }
    h1 { font-size:18px; margin:0; } h1 span { color:var(--accent); font-weight:400; }
    .pill { padding:2px 10px; border-radius:10px; background:var(--panel); color:var(--dim); }
    .pill.ok { color:#7ee787; } .pill.bad { color:var(--bad); }
    main { display:flex; gap:20px; padding:20px; flex-wrap:wrap; }
    .player { flex:0 0 512px; }
    canvas { width:512px; height:512px; image-rendering:pixelated; background:#000; display:block; border-radius:4px; }
    .under { display:flex; justify-content:space-between; color:var(--dim); margin:6px 0 10px; }
    #prompt { width:100%; padding:10px; font-size:15px; border-radius:4px; border:1px solid #33404c; background:var(--panel); color:var(--text); }
    #prompt:focus { outline:2px solid var(--accent); }
    .timeline { position:relative; height:22px; margin-top:12px; background:var(--panel); border-radius:3px; overflow:hidden; }
    #progress { position:absolute; left:0; top:0; bottom:0; width:0; background:#24445e; }
    .marker { position:absolute; top:0; bottom:0; width:3px; background:var(--mark); }
    .marker.first { background:var(--accent); }
    #switches { color:var(--dim); padding-left:20px; margin:8px 0; max-height:160px; overflow:auto; }
    #switches b { color:var(--mark); font-weight:500; }
    aside { flex:1 1 280px; max-width:380px; }
    fieldset { border:1px solid #2a323b; border-radius:4px; margin:0 0 14px; }
    legend { color:var(--dim); }
    label { display:flex; justify-content:space-between; align-items:center; margin:6px 0; }
    input[type=number], select { width:110px; background:var(--panel); color:var(--text); border:1px solid #33404c; padding:3px; }
    .buttons { display:flex; gap:6px; margin:10px 0 4px; }
    button { flex:1; padding:6px; background:#24445e; color:var(--text); border:0; border-radius:3px; cursor:pointer; }
    button:disabled { opacity:.4; cursor:default; }
    #download { display:block; margin-top:8px; color:var(--accent); } .hidden { display:none !important; }
    dl { display:grid; grid-template-columns:auto 1fr; gap:4px 12px; margin:4px 0; }
    dt { color:var(--dim); } dd { margin:0; font-variant-numeric:tabular-nums; }
    #log { color:var(--dim); font-size:12px; max-height:140px; overflow:auto; white-space:pre-wrap; }
    #log .error { color:var(--bad); }
    """
}
