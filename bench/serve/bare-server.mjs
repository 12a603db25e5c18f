// The floor: a bare node:http server that reads the body and answers a constant.
import { createServer } from 'node:http';
const body = '{"predictions":[{"benign":0.5,"malignant":0.5}]}';
const port = Number(process.argv[2]);
createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
