// Books the listing: createReservation with its input as variables, the new reservation
// appended to the listing's reservations connection.
import { ConnectionHandler, graphql, useMutation } from 'react-relay';

export default function BookButton({ listingId, startDate, endDate }) {
  const [commit, inFlight] = useMutation(graphql`
    mutation BookButtonMutation($input: CreateReservationInput!, $connections: [ID!]!) {
      createReservation(input: $input) {
        reservation
          @appendNode(connections: $connections, edgeTypeName: "ReservationEdge") {
          id
          databaseId
          status
          startDate
          endDate
          expiresAt
          totalPrice {
            amount
            currency
          }
        }
        errors {
          code
          field
          message
        }
      }
    }
  `);
  const book = () =>
    commit({
      variables: {
        input: { listingId, startDate, endDate, idempotencyKey: crypto.randomUUID() },
        connections: [
          ConnectionHandler.getConnectionID(listingId, 'ListingReservations_reservations'),
        ],
      },
    });
  return (
    <button disabled={inFlight} onClick={book}>
      Book
    </button>
  );
}
