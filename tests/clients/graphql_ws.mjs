// The bare graphql-ws client (the graphql-transport-ws reference client) against a live
// server: connect with the guest's token in the connection params, subscribe to
// availabilityChanged, hear a booking made over HTTP (graphql-http's client), then complete
// the subscription and close the socket normally.
//
//   node graphql_ws.mjs --url http://127.0.0.1:8000/graphql --token <guest token> \
//     --start 2027-03-01 [--nights 2] [--city Paris]
import { createClient as createHttpClient } from 'graphql-http';
import { createClient } from 'graphql-ws';
import { AVAILABILITY_CHANGED, BOOK, FIND_LISTING, checkBooked, theListing } from './documents.mjs';
import {
  BrowserLikeWebSocket,
  Inbox,
  addDays,
  bookUntilHeard,
  check,
  checkHeard,
  deadline,
  fail,
  frames,
  idempotencyKey,
  options,
  show,
  websocketUrl,
} from './lib.mjs';

const opts = options({
  url: undefined,
  token: undefined,
  start: undefined,
  nights: '2',
  city: 'Paris',
});
const start = opts.start;
const end = addDays(start, Number(opts.nights));
deadline(90, 'graphql_ws.mjs');

const authorization = `Bearer ${opts.token}`;
const http = createHttpClient({ url: opts.url, headers: { Authorization: authorization } });

/** One operation over HTTP: its data, or a failure with its errors. */
function request(query, variables) {
  return new Promise((resolve, reject) => {
    let result;
    http.subscribe(
      { query, variables },
      {
        next: (value) => (result = value),
        error: reject,
        complete: () =>
          result?.errors ? reject(new Error(show(result.errors))) : resolve(result?.data),
      },
    );
  }).catch((error) => fail(`HTTP request failed: ${error?.message ?? show(error)}`));
}

const listing = theListing(await request(FIND_LISTING, { city: opts.city, start, end }), opts.city);
const before = listing.availability.freeUnits;
console.log(`listing: ${listing.title} (${listing.id}), ${before} free ${start}..${end}`);

const events = { connected: new Inbox(), closed: new Inbox() };
const client = createClient({
  url: websocketUrl(opts.url),
  webSocketImpl: BrowserLikeWebSocket,
  connectionParams: { Authorization: authorization },
  lazy: false,
  retryAttempts: 0,
  onNonLazyError: (error) => fail(`could not connect: ${describeClose(error)}`),
  on: {
    connected: (_socket, payload) => events.connected.push(payload ?? {}),
    closed: (event) => events.closed.push(event),
  },
});
check(await events.connected.next(10_000), 'no connection_ack within 10 s');
console.log('connected (connection_ack)');

const heard = new Inbox();
let completedByServer = false;
const unsubscribe = client.subscribe(
  { query: AVAILABILITY_CHANGED, variables: { listingId: listing.id, start, end } },
  {
    next: (result) => {
      if (result.errors) fail(`the subscription answered errors: ${show(result.errors)}`);
      heard.push(result.data?.availabilityChanged);
    },
    error: (error) => fail(`the subscription failed: ${describeClose(error)}`),
    complete: () => {
      completedByServer = true;
    },
  },
);

const book = async (attempt) => {
  const input = {
    listingId: listing.id,
    startDate: start,
    endDate: end,
    idempotencyKey: idempotencyKey('ws'),
  };
  const data = await request(BOOK, { input });
  const reservation = checkBooked(data?.createReservation, { listingId: listing.id, start, end });
  console.log(`booking ${attempt}: ${reservation.status} (${reservation.id})`);
};
const { value, made } = await bookUntilHeard(book, heard);
console.log(`heard: ${show(value)}`);
checkHeard(value, { start, end, before, made });
check(!completedByServer, 'the server completed the subscription on its own');

// Complete: the client sends `complete` for the operation, then closes with 1000.
unsubscribe();
await client.dispose();
const closed = await events.closed.next(10_000);
check(closed, 'the socket did not close within 10 s');
check(closed.code === 1000, `the socket closed with ${closed.code} ${closed.reason}, not 1000`);
check(frames.binary === 0, `the server sent ${frames.binary} binary websocket frame(s)`);
check(frames.text >= 2, `expected text frames (ack, next), got ${frames.text}`);
console.log(`graphql-ws: subscribed, heard the booking, completed (${frames.text} text frames)`);
process.exit(0);

function describeClose(error) {
  if (error && typeof error === 'object' && 'code' in error) {
    return `socket closed with ${error.code} ${error.reason ?? ''}`.trim();
  }
  return error instanceof Error ? error.message : show(error);
}
