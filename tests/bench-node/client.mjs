// client.mjs URL N
//
// Copyright 2026 The Pulse Inspector authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// What a scripter would write: EventSource from npm, JSON.parse on each
// message. Exits after N messages.
import { EventSource } from 'eventsource';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
let seen = 0;
let sink = 0;

const source = new EventSource(url);
source.addEventListener('message', (event) => {
  const message = JSON.parse(event.data);
  sink += message.routingKey.length;
  if (++seen === count) {
    source.close();
    process.stdout.write(`${seen} ${sink}\n`);
    process.exit(0);
  }
});
source.addEventListener('error', (event) => {
  if (seen < count) {
    process.stderr.write(`eventsource error after ${seen} messages: ${event.message ?? ''}\n`);
    process.exit(1);
  }
});
