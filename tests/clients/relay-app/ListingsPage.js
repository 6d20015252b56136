// The search page: Paris listings, twenty at a time, "More" loads the next page
// (usePaginationFragment over a forward @connection on Query.listings).
import { graphql, useLazyLoadQuery, usePaginationFragment } from 'react-relay';
import ListingCard from './ListingCard';

const ListingsPageQuery = graphql`
  query ListingsPageQuery($city: String!, $count: Int!, $cursor: String) {
    ...ListingsPage_query @arguments(city: $city, count: $count, cursor: $cursor)
  }
`;

export default function ListingsPage({ city }) {
  const query = useLazyLoadQuery(ListingsPageQuery, { city, count: 20 });
  const { data, loadNext, hasNext, isLoadingNext } = usePaginationFragment(
    graphql`
      fragment ListingsPage_query on Query
      @argumentDefinitions(
        city: { type: "String!" }
        count: { type: "Int", defaultValue: 20 }
        cursor: { type: "String" }
      )
      @refetchable(queryName: "ListingsPagePaginationQuery") {
        listings(filter: { city: $city }, first: $count, after: $cursor)
          @connection(key: "ListingsPage_listings") {
          totalCount
          edges {
            node {
              id
              ...ListingCard_listing
            }
          }
        }
      }
    `,
    query,
  );
  return (
    <main>
      <h1>{data.listings.totalCount} places in {city}</h1>
      {data.listings.edges.map(({ node }) => <ListingCard key={node.id} listing={node} />)}
      {hasNext && <button disabled={isLoadingNext} onClick={() => loadNext(20)}>More</button>}
    </main>
  );
}
