// Local "regions": one aedes MQTT broker per region on 127.0.0.1, all in this child process (aedes is an ES
// module, which jest's CommonJS runtime cannot require; one process keeps start-up to one Node.js boot).
// A region that fails has its listener closed and every connection reset, like a region gone dark; it can
// come back on the same port. Reports go to the parent over IPC; a PUBLISH is acknowledged only after its
// report reached the IPC channel, so every message the device saw acknowledged is counted.
import net from 'node:net';

// Listen for the parent first: messages that arrive while aedes loads must not be lost.
const inbox = [];
let handle = (message) => inbox.push(message);
process.on('message', (message) => handle(message));
// The parent went away: do not linger.
process.on('disconnect', () => process.exit(0));

const send = (message, callback) => {
  if (process.connected) process.send(message, callback);
  else callback?.();
};

const { Aedes } = await import('aedes');
const regions = new Map();

async function start(region, port) {
  const state = { refuseConnects: 0, sockets: new Set() };
  const report = (message, callback) => send({ region, ...message }, callback);
  const broker = await Aedes.createBroker({
    preConnect(client, packet, callback) {
      if (state.refuseConnects > 0) {
        state.refuseConnects--;
        report({ type: 'refused', clientId: packet.clientId });
        return callback(new Error('connection refused (injected fault)'), false);
      }
      callback(null, true);
    },
    authorizePublish(client, packet, callback) {
      if (!client) return callback(null);
      const payload = Buffer.from(packet.payload).toString('base64');
      report({ type: 'publish', clientId: client.id, topic: packet.topic, qos: packet.qos, payload }, () => callback(null));
    },
  });
  broker.on('clientReady', (client) => report({ type: 'connected', clientId: client.id }));
  broker.on('subscribe', (subscriptions, client) => {
    if (client) report({ type: 'subscribe', clientId: client.id, topics: subscriptions.map((s) => s.topic) });
  });
  const server = net.createServer((socket) => {
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => undefined);
    broker.handle(socket);
  });
  regions.set(region, { broker, server, state });
  return new Promise((resolve, reject) => {
    server.on('error', (error) => {
      // Back on its old port when it can; if something took the port meanwhile, on any port (the parent's
      // address-to-port mapping follows it).
      if (error.code === 'EADDRINUSE' && port !== 0) server.listen(0, '127.0.0.1');
      else reject(error);
    });
    server.on('listening', () => resolve(server.address().port));
    server.listen(port, '127.0.0.1');
  });
}

async function kill(region) {
  const r = regions.get(region);
  if (!r) return;
  regions.delete(region);
  const closed = new Promise((resolve) => r.server.close(() => resolve()));
  for (const socket of r.state.sockets) socket.resetAndDestroy();
  await closed;
  await new Promise((resolve) => r.broker.close(() => resolve()));
}

handle = (message) => {
  const reply = (extra = {}) => send({ type: 'reply', ref: message.ref, ...extra });
  const fail = (error) => reply({ error: String(error?.message ?? error) });
  const r = regions.get(message.region);
  switch (message.type) {
    case 'start':
      start(message.region, message.port ?? 0).then((port) => reply({ port }), fail);
      break;
    case 'kill':
      kill(message.region).then(() => reply(), fail);
      break;
    case 'publish': {
      if (!r) return fail(`${message.region} is down`);
      const packet = { cmd: 'publish', topic: message.topic, payload: Buffer.from(message.payload, 'base64'), qos: message.qos ?? 1, retain: false, dup: false };
      r.broker.publish(packet, () => reply());
      break;
    }
    case 'refuse-connects':
      if (!r) return fail(`${message.region} is down`);
      r.state.refuseConnects = message.count;
      reply();
      break;
    case 'drop-connections':
      if (!r) return fail(`${message.region} is down`);
      for (const socket of r.state.sockets) socket.destroy();
      reply();
      break;
    default:
      fail(`unknown request ${message.type}`);
  }
};
for (const message of inbox.splice(0)) handle(message);
send({ type: 'ready' });
