// A listing's own page, routed by its global id: fetched with node(id:), its availability
// refetched for other dates (a @refetchable fragment on a Node type).
import { graphql, useLazyLoadQuery, useRefetchableFragment } from 'react-relay';
import BookButton from './BookButton';
import ListingReservations from './ListingReservations';
import ListingReviews from './ListingReviews';

const ListingPageQuery = graphql`
  query ListingPageQuery($id: ID!, $startDate: Date!, $endDate: Date!) {
    node(id: $id) {
      # Null unless the node is a Listing: the page shows "not found" for other ids.
      ...ListingPage_listing
        @alias(as: "listing")
        @arguments(startDate: $startDate, endDate: $endDate)
    }
  }
`;

export default function ListingPage({ id, startDate, endDate }) {
  const { node } = useLazyLoadQuery(ListingPageQuery, { id, startDate, endDate });
  const [listing, refetch] = useRefetchableFragment(
    graphql`
      fragment ListingPage_listing on Listing
      @argumentDefinitions(startDate: { type: "Date!" }, endDate: { type: "Date!" })
      @refetchable(queryName: "ListingPageRefetchQuery") {
        id
        databaseId
        title
        description
        units
        availability(startDate: $startDate, endDate: $endDate) {
          freeUnits
          available
        }
        ...ListingReservations_listing
        ...ListingReviews_listing
      }
    `,
    node?.listing ?? null,
  );
  if (listing == null) return <p>No such listing.</p>;
  return (
    <section>
      <h1>{listing.title}</h1>
      <p>{listing.availability.freeUnits} free</p>
      <input type="date" onChange={(e) => refetch({ startDate: e.target.value, endDate })} />
      <BookButton listingId={listing.id} startDate={startDate} endDate={endDate} />
      <ListingReservations listing={listing} />
      <ListingReviews listing={listing} />
    </section>
  );
}
