// The widget's CSS, inside its shadow root (the host page's styles do not reach in, ours do not leak out).
export const STYLE = `
:host{--rp-color:#3b5bdb;--rp-ink:#fff;all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937}
*{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;cursor:pointer}
button:focus-visible,textarea:focus-visible,input:focus-visible,.log:focus-visible{outline:3px solid #f59f00;outline-offset:2px}
.launcher{width:60px;height:60px;border-radius:50%;border:0;background:var(--rp-color);color:var(--rp-ink);display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.25);margin-left:auto}
.launcher:hover{filter:brightness(1.08)}
.panel{position:absolute;right:0;bottom:76px;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}
header{background:var(--rp-color);color:var(--rp-ink);display:flex;align-items:center;justify-content:space-between;padding:14px 10px 14px 18px}
h2{margin:0;font-size:17px;font-weight:600}
.close{background:transparent;border:0;color:inherit;width:36px;height:36px;border-radius:8px;display:grid;place-items:center}
.close:hover{background:rgba(255,255,255,.18)}
.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:8px;background:#f8f9fb}
.msg{max-width:82%;padding:9px 13px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.msg.agent{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px}
.msg.me{align-self:flex-end;background:var(--rp-color);color:var(--rp-ink);border-bottom-right-radius:4px}
.who{display:block;font-size:12px;font-weight:600;color:#4b5563;margin-bottom:2px}
.offline{padding:12px 16px;border-top:1px solid #e5e7eb;background:#fffbeb}
.offline p{margin:0 0 8px;font-size:14px}
.row{display:flex;gap:8px}
input{flex:1;min-width:0;font:inherit;padding:8px 10px;border:1px solid #9ca3af;border-radius:8px}
.offline button,.send{border:0;border-radius:8px;padding:8px 14px;background:var(--rp-color);color:var(--rp-ink);font-weight:600}
.status{margin:0;padding:0 16px;font-size:13px;color:#374151}
.status:empty{display:none}
.composer{display:flex;gap:8px;align-items:flex-end;padding:12px;border-top:1px solid #e5e7eb}
textarea{flex:1;resize:none;font:inherit;padding:9px 11px;border:1px solid #9ca3af;border-radius:10px;max-height:120px}
.send:disabled{opacity:.6;cursor:default}
.launcher.badge{position:relative}
.launcher.badge::after{content:"";position:absolute;top:4px;right:4px;width:14px;height:14px;border-radius:50%;background:#e03131;border:2px solid #fff}
.msg.survey{white-space:normal;display:flex;flex-direction:column;gap:8px;max-width:100%;align-self:stretch}
.survey p{margin:0}
.survey fieldset{border:0;margin:0;padding:0}
.survey legend{padding:0;margin-bottom:6px}
.scale{display:flex;gap:3px}
.scale button{flex:1 1 0;min-width:0;height:34px;padding:0;border:1px solid #9ca3af;border-radius:6px;background:#fff;color:#1f2937}
.scale button[aria-pressed=true]{background:var(--rp-color);color:var(--rp-ink);border-color:var(--rp-color)}
.ends{display:flex;justify-content:space-between;font-size:12px;color:#4b5563;margin-top:4px}
.survey label{display:flex;flex-direction:column;gap:4px;font-size:14px}
.survey .send{align-self:flex-start}
.note{margin:0;font-size:13px;color:#b42318}
.note:empty{display:none}
@media (max-width:480px){
:host{right:12px;bottom:12px}
:host(.open){inset:0;right:0;bottom:0}
:host(.open) .launcher{display:none}
:host(.open) .panel{position:fixed;inset:0;width:100vw;max-width:none;height:100%;max-height:none;border-radius:0}
}
`;
