// Guests' reviews of a listing, newest first, forward-paginated on a Node type.
import { graphql, usePaginationFragment } from 'react-relay';

export default function ListingReviews({ listing }) {
  const { data, loadNext, hasNext } = usePaginationFragment(
    graphql`
      fragment ListingReviews_listing on Listing
      @argumentDefinitions(count: { type: "Int", defaultValue: 5 }, cursor: { type: "String" })
      @refetchable(queryName: "ListingReviewsPaginationQuery") {
        reviews(first: $count, after: $cursor) @connection(key: "ListingReviews_reviews") {
          edges {
            node {
              id
              rating
              comment
              authorName
            }
          }
        }
      }
    `,
    listing,
  );
  return (
    <ul>
      {data.reviews.edges.map(({ node }) => (
        <li key={node.id}>
          {node.rating}/5 {node.authorName}: {node.comment}
        </li>
      ))}
      {hasNext && <button onClick={() => loadNext(5)}>More reviews</button>}
    </ul>
  );
}
