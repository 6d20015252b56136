// The host's view of a listing's bookings, newest last: a backward @connection
// (last/before), "Earlier" loads the page before (usePaginationFragment's loadPrevious).
import { graphql, usePaginationFragment } from 'react-relay';

export default function ListingReservations({ listing }) {
  const { data, loadPrevious, hasPrevious } = usePaginationFragment(
    graphql`
      fragment ListingReservations_listing on Listing
      @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
      @refetchable(queryName: "ListingReservationsPaginationQuery") {
        reservations(last: $count, before: $cursor)
          @connection(key: "ListingReservations_reservations") {
          __id
          edges {
            node {
              id
              databaseId
              guestName
              startDate
              endDate
              status
            }
          }
        }
      }
    `,
    listing,
  );
  return (
    <ol>
      {hasPrevious && <button onClick={() => loadPrevious(10)}>Earlier</button>}
      {data.reservations.edges.map(({ node }) => (
        <li key={node.id}>
          {node.guestName}: {node.startDate} to {node.endDate} ({node.status})
        </li>
      ))}
    </ol>
  );
}
