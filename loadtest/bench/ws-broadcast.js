// A Node `ws` broadcast server, the peer of `agora-loadtest fanout --target ws-broadcast`:
// every message from a connection on /pub goes to every subscriber connection (one
// frame per delivery), and the publisher gets `ok`. No persistence, no compression.
// Usage: node ws-broadcast.js PORT   (listens on 127.0.0.1 only)
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 8090);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
const subscribers = new Set();
wss.on('connection', (ws, req) => {
  if (req.url === '/pub') {
    ws.on('message', (data, isBinary) => {
      for (const s of subscribers) s.send(data, { binary: isBinary });
      ws.send('ok');
    });
  } else {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  }
});
wss.on('listening', () => console.log(`ws-broadcast listening on 127.0.0.1:${port}`));
