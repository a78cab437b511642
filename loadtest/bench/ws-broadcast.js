// A Node `ws` broadcast server, the peer of `agora-loadtest fanout --target ws-broadcast`:
// every message from a publisher connection goes to every subscriber of its stream
// (one frame per delivery), and the publisher gets `ok`. No persistence, no compression.
// Paths: /pub or /pub/N (a publisher to stream N, default 0); /sub/N,M,... (a subscriber
// of streams N, M, ...); any other path is a subscriber of stream 0.
// Usage: node ws-broadcast.js PORT   (listens on 127.0.0.1 only)
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 8090);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
const streams = new Map(); // stream -> Set of subscriber sockets
const subsOf = (s) => { if (!streams.has(s)) streams.set(s, new Set()); return streams.get(s); };
wss.on('connection', (ws, req) => {
  const [, kind, arg] = req.url.split('/');
  if (kind === 'pub') {
    const subscribers = subsOf(Number(arg || 0));
    ws.on('message', (data, isBinary) => {
      for (const s of subscribers) s.send(data, { binary: isBinary });
      ws.send('ok');
    });
  } else {
    const mine = (kind === 'sub' && arg ? arg.split(',').map(Number) : [0]).map(subsOf);
    for (const set of mine) set.add(ws);
    ws.on('close', () => { for (const set of mine) set.delete(ws); });
  }
});
wss.on('listening', () => console.log(`ws-broadcast listening on 127.0.0.1:${port}`));
