// Apollo Client 4 against a live server: a query and a booking mutation over HTTP (the guest's
// token in the Authorization header), and availabilityChanged over graphql-ws (GraphQLWsLink,
// the token in connection_init) hearing the booking.
//
//   node apollo.mjs --url http://127.0.0.1:8000/graphql --token <guest token> \
//     --start 2027-03-01 [--nights 2] [--city Paris]
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
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
  within,
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
deadline(90, 'apollo.mjs');

const authorization = `Bearer ${opts.token}`;
const connected = new Inbox();
const wsClient = createClient({
  url: websocketUrl(opts.url),
  webSocketImpl: BrowserLikeWebSocket,
  connectionParams: { Authorization: authorization },
  retryAttempts: 0,
  on: {
    connected: () => connected.push(true),
    closed: (event) => console.log(`websocket closed: ${event?.code} ${event?.reason ?? ''}`),
  },
});
const client = new ApolloClient({
  link: split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: opts.url, headers: { Authorization: authorization } }),
  ),
  cache: new InMemoryCache(),
});

// A query.
const found = await client.query({
  query: gql(FIND_LISTING),
  variables: { city: opts.city, start, end },
  fetchPolicy: 'network-only',
});
check(!found.error, 'the query failed', String(found.error));
const listing = theListing(found.data, opts.city);
const before = listing.availability.freeUnits;
console.log(`query: ${listing.title} (${listing.id}), ${before} free ${start}..${end}`);

// A subscription, then bookings (a mutation with variables) until it hears one.
const heard = new Inbox();
const subscription = client
  .subscribe({ query: gql(AVAILABILITY_CHANGED), variables: { listingId: listing.id, start, end } })
  .subscribe({
    next: (result) => {
      if (result.error) fail(`the subscription answered an error: ${result.error}`);
      heard.push(result.data?.availabilityChanged);
    },
    error: (error) => fail(`the subscription failed: ${error}`),
    complete: () => fail('the server completed the subscription'),
  });
check(await within(10_000, connected.next(10_000)), 'no connection_ack within 10 s');

const book = async (attempt) => {
  const answer = await client.mutate({
    mutation: gql(BOOK),
    variables: {
      input: {
        listingId: listing.id,
        startDate: start,
        endDate: end,
        idempotencyKey: idempotencyKey('apollo'),
      },
    },
  });
  check(!answer.error, 'the mutation failed', String(answer.error));
  const reservation = checkBooked(answer.data.createReservation, {
    listingId: listing.id,
    start,
    end,
  });
  console.log(`mutation: booking ${attempt} is ${reservation.status} (${reservation.id})`);
};
const { value, made } = await bookUntilHeard(book, heard);
console.log(`subscription: ${show(value)}`);
checkHeard(value, { start, end, before, made });

subscription.unsubscribe();
await wsClient.dispose();
check(frames.binary === 0, `the server sent ${frames.binary} binary websocket frame(s)`);
check(frames.text > 0, 'no text websocket frame arrived');
console.log('apollo: query, mutation and subscription ok');
process.exit(0);
