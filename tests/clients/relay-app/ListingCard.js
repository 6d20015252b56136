// One listing in a list: a plain (non-refetchable) fragment.
import { graphql, useFragment } from 'react-relay';

export default function ListingCard({ listing }) {
  const data = useFragment(
    graphql`
      fragment ListingCard_listing on Listing {
        id
        databaseId
        title
        city
        nightlyPrice {
          amount
          currency
        }
        rating {
          average
          count
        }
      }
    `,
    listing,
  );
  return (
    <article>
      <a href={`/listings/${data.id}`}>{data.title}</a> {data.nightlyPrice.amount}{' '}
      {data.nightlyPrice.currency}
    </article>
  );
}
