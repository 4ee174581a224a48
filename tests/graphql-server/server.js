#!/usr/bin/env node
// tests/graphql-server/server.js
//
// Copyright 2026 The Pulse Inspector authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// A stand-in for a Taskcluster deployment's web-server, for the GraphQL
// tests (tests/test-source-graphql.c): the PulseMessages subscription on
// /subscription (subprotocol graphql-ws), served by the npm packages the
// web-server uses (subscriptions-transport-ws 0.11, graphql 16,
// graphql-type-json), with the web-server's schema. Messages do not come
// from a broker: the test publishes them through a small HTTP API.
//
//   node server.js [--port N] [--watch-stdin] [--raw-status N]
//                  [--refuse-scopes] [--grant CLIENT-ID] [--never-ack]
//                  [--error-exchange EXCHANGE]... [--close-after N]
//                  [--close-code CODE]
//
// Prints "port N" once listening on 127.0.0.1. With --watch-stdin it exits
// when its standard input closes (its test ended, however it ended).
//
// Control API (JSON in and out):
//   GET  /control/state     connections, subscriptions, what clients sent
//   POST /control/publish   {exchange, routingKey, payload, cc?, redelivered?}
//                           -> {delivered: subscriptions that got it}
//   POST /control/complete  {exchange?} ends every subscription (with
//                           exchange: those bound to it); the client gets
//                           "complete" -> {completed: N}
//   POST /control/close     {code?, reason?} closes every socket
//   POST /control/config    changes the flags below at run time:
//                           {refuseScopes, grant, neverAck, errorExchanges,
//                            closeAfter, closeCode, rawStatus}
//
// Behaviour, as the web-server v106 behaves where the flags do not say
// otherwise: an upgrade on any other path (/subscription/raw too, which
// newer deployments serve) is refused with an HTTP status (--raw-status,
// 404 by default; v106 answers 400); a client without the scope
// web:read-pulse gets connection_error with the web-server's text, then
// close 1011; a binding that cannot be made (--error-exchange) ends its
// subscription with an "error" frame and no "complete"; `start` gets no
// reply; no keep-alive frames are sent.
'use strict';

const http = require('http');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const { execute, subscribe, buildSchema } = require('graphql');
const { GraphQLJSON } = require('graphql-type-json');

// --- flags ---------------------------------------------------------------------

const flags = {
  port: 0,
  watchStdin: false,
  rawStatus: 404,
  refuseScopes: false,
  grant: null,
  neverAck: false,
  errorExchanges: [],
  closeAfter: 0,
  closeCode: 1000,
};

function usage(text) {
  process.stderr.write(`graphql-server: ${text}\n`);
  process.exit(2);
}

function intArg(args, i, name) {
  const value = Number.parseInt(args[i] ?? '', 10);
  if (!Number.isInteger(value) || value < 0)
    usage(`${name} needs a number`);
  return value;
}

{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    switch (args[i]) {
      case '--port': flags.port = intArg(args, ++i, '--port'); break;
      case '--watch-stdin': flags.watchStdin = true; break;
      case '--raw-status': flags.rawStatus = intArg(args, ++i, '--raw-status'); break;
      case '--refuse-scopes': flags.refuseScopes = true; break;
      case '--grant': flags.grant = args[++i] ?? usage('--grant needs a client id'); break;
      case '--never-ack': flags.neverAck = true; break;
      case '--error-exchange':
        flags.errorExchanges.push(args[++i] ?? usage('--error-exchange needs an exchange'));
        break;
      case '--close-after': flags.closeAfter = intArg(args, ++i, '--close-after'); break;
      case '--close-code': flags.closeCode = intArg(args, ++i, '--close-code'); break;
      default: usage(`unknown argument ${args[i]}`);
    }
  }
}

// --- what the tests can ask about ------------------------------------------------

const stats = {
  connections: 0,        // open sockets now
  connectionsTotal: 0,   // sockets accepted on /subscription
  refusedUpgrades: [],   // paths of upgrades refused with an HTTP status
  inits: 0,              // connection_init frames
  acks: 0,
  refusals: 0,           // connection_error sent
  clients: [],           // per connection_init: {clientId, accessToken} or null
  starts: 0,             // subscriptions started
  stops: 0,              // subscriptions the client stopped
  errors: 0,             // "error" frames for a subscription
  pings: 0,              // WebSocket pings received
  closed: [],            // close codes of sockets the clients closed
};
const sockets = new Set();
const feeds = new Set();

// --- the pulse "broker": AMQP topic matching and one feed per subscription -----

// Does routing key @key match AMQP topic pattern @pattern ('*' one word,
// '#' zero or more words)?
function topicMatches(pattern, key) {
  const p = pattern.split('.');
  const k = key === '' ? [] : key.split('.');
  const memo = new Map();
  const match = (i, j) => {
    const id = i * (k.length + 1) + j;
    if (memo.has(id))
      return memo.get(id);
    let result;
    if (i === p.length)
      result = j === k.length;
    else if (p[i] === '#')
      result = match(i + 1, j) || (j < k.length && match(i, j + 1));
    else
      result = j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
    memo.set(id, result);
    return result;
  };
  return match(0, 0);
}

// An async iterator of pulse messages for one subscription, as the
// web-server's PulseEngine gives its resolver: it never ends by itself; it
// fails when a binding cannot be made.
class Feed {
  constructor(bindings) {
    this.bindings = bindings;
    this.queue = [];
    this.waiting = [];
    this.finished = false;
    this.failure = null;
    feeds.add(this);
    stats.starts++;

    const bad = bindings.find(b => flags.errorExchanges.includes(b.exchange));
    if (bad) {
      // Binding happens after the subscription started, as on a broker.
      setTimeout(() => this.fail(new Error(
        'Error binding queue: Channel closed by server: 404 (NOT-FOUND) with message ' +
        `"NOT_FOUND - no exchange '${bad.exchange}' in vhost '/'"`)), 50);
    }
  }

  matches(message) {
    const keys = [message.routingKey, ...message.cc.map(c => c.replace(/^route\./, ''))];
    return this.bindings.some(b => b.exchange === message.exchange &&
                                   keys.some(key => topicMatches(b.pattern, key)));
  }

  push(message) {
    if (this.finished)
      return;
    const waiter = this.waiting.shift();
    if (waiter)
      waiter.resolve({ value: { pulseMessages: message }, done: false });
    else
      this.queue.push(message);
  }

  end() {
    this.finished = true;
    feeds.delete(this);
    for (const waiter of this.waiting.splice(0))
      waiter.resolve({ value: undefined, done: true });
  }

  fail(error) {
    if (this.finished)
      return;
    this.failure = error;
    this.finished = true;
    feeds.delete(this);
    stats.errors++;
    for (const waiter of this.waiting.splice(0))
      waiter.reject(error);
  }

  next() {
    if (this.queue.length > 0)
      return Promise.resolve({ value: { pulseMessages: this.queue.shift() }, done: false });
    if (this.failure) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.finished)
      return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return() {
    if (!this.finished)
      stats.stops++;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error) {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

// --- the schema: services/web-server/src/graphql/PulseMessages.graphql ---------

const schema = buildSchema(`
  scalar JSON

  type Query {
    ping: String
  }

  input PulseSubscription {
    exchange: String!
    pattern: String!
  }

  type PulseMessage {
    payload: JSON!
    exchange: String!
    routingKey: String!
    redelivered: Boolean!
    cc: [String]!
  }

  type Subscription {
    pulseMessages(subscriptions: [PulseSubscription]!): PulseMessage
  }
`);
Object.assign(schema.getType('JSON'), {
  serialize: GraphQLJSON.serialize,
  parseValue: GraphQLJSON.parseValue,
  parseLiteral: GraphQLJSON.parseLiteral,
});
schema.getSubscriptionType().getFields().pulseMessages.subscribe =
  (_parent, { subscriptions }) => new Feed(subscriptions.filter(Boolean));

// --- connection_init: the web-server's scope check --------------------------------

function decodeAuthorization(value) {
  if (typeof value !== 'string' || !value.startsWith('Bearer '))
    return null;
  try {
    const creds = JSON.parse(Buffer.from(value.slice(7), 'base64').toString('utf8'));
    return { clientId: String(creds.clientId), accessToken: String(creds.accessToken) };
  } catch (e) {
    return { clientId: null, accessToken: null, undecodable: value };
  }
}

function onConnect(params) {
  stats.inits++;
  const creds = decodeAuthorization(params?.Authorization);
  stats.clients.push(creds);
  if (flags.neverAck)
    return new Promise(() => {});
  const allowed = !flags.refuseScopes &&
                  (flags.grant === null || creds?.clientId === flags.grant);
  if (!allowed) {
    stats.refusals++;
    // The text of services/web-server/src/servers/createSubscriptionServer.js.
    throw new Error([
      'Error: InsufficientScopes',
      '',
      `Client ID ${creds?.clientId ?? 'anonymous'} does not have sufficient scopes and is missing the following scopes:`,
      '',
      '```',
      'web:read-pulse',
      '```',
    ].join('\n'));
  }
  stats.acks++;
  return true;
}

// --- the server ---------------------------------------------------------------------

const subscriptionServer = SubscriptionServer.create(
  { schema, execute, subscribe, onConnect },
  { noServer: true });
const wss = subscriptionServer.server;

wss.on('connection', socket => {
  stats.connections++;
  stats.connectionsTotal++;
  sockets.add(socket);
  socket.on('ping', () => stats.pings++);
  socket.on('close', code => {
    stats.connections--;
    sockets.delete(socket);
    if (!socket.closedByServer)
      stats.closed.push(code);
  });
  // --close-after N: close once N data frames went out on this socket.
  let sent = 0;
  const send = socket.send.bind(socket);
  socket.send = (data, ...rest) => {
    send(data, ...rest);
    if (flags.closeAfter > 0 && JSON.parse(data).type === 'data' && ++sent === flags.closeAfter) {
      socket.closedByServer = true;
      socket.close(flags.closeCode);
    }
  };
});

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const control = {
  'GET /control/state': () => ({
    ...stats,
    subscriptions: feeds.size,
    bindings: [...feeds].map(f => f.bindings),
  }),
  'POST /control/publish': body => {
    if (typeof body.exchange !== 'string' || typeof body.routingKey !== 'string' || !('payload' in body))
      throw new Error('publish needs exchange, routingKey and payload');
    const message = {
      payload: body.payload,
      exchange: body.exchange,
      routingKey: body.routingKey,
      redelivered: Boolean(body.redelivered),
      cc: Array.isArray(body.cc) ? body.cc.map(String) : [],
    };
    let delivered = 0;
    for (const feed of feeds) {
      if (feed.matches(message)) {
        feed.push(message);
        delivered++;
      }
    }
    return { delivered };
  },
  'POST /control/complete': body => {
    const ending = [...feeds].filter(f => body.exchange === undefined ||
                                          f.bindings.some(b => b.exchange === body.exchange));
    for (const feed of ending)
      feed.end();
    return { completed: ending.length };
  },
  'POST /control/close': body => {
    const n = sockets.size;
    for (const socket of sockets) {
      socket.closedByServer = true;
      socket.close(body.code ?? 1000, body.reason ?? '');
    }
    return { closed: n };
  },
  'POST /control/config': body => {
    for (const key of ['refuseScopes', 'grant', 'neverAck', 'errorExchanges',
                       'closeAfter', 'closeCode', 'rawStatus']) {
      if (key in body)
        flags[key] = body[key];
    }
    return { ...flags };
  },
};

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  const handler = control[`${req.method} ${path}`];
  if (!handler) {
    reply(res, 404, { code: 'ResourceNotFound', message: `No ${req.method} ${path} here` });
    return;
  }
  try {
    const body = await readJson(req);
    reply(res, 200, handler(body));
  } catch (e) {
    reply(res, 400, { code: 'InputError', message: e.message });
  }
});

server.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (path === '/subscription') {
    wss.handleUpgrade(req, socket, head, ws => wss.emit('connection', ws, req));
    return;
  }
  stats.refusedUpgrades.push(path);
  const status = flags.rawStatus;
  const body = `No WebSocket endpoint at ${path}\n`;
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\n` +
             'Content-Type: text/plain\r\n' +
             `Content-Length: ${Buffer.byteLength(body)}\r\n` +
             'Connection: close\r\n\r\n' + body);
});

server.listen(flags.port, '127.0.0.1', () => {
  process.stdout.write(`port ${server.address().port}\n`);
});

if (flags.watchStdin) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
