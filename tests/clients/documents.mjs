// The GraphQL documents the Node clients send, as an application would write them.

// The seeded listing of a city (the live server has one there), with the window's
// availability before anything is booked.
export const FIND_LISTING = `
  query FindListing($city: String!, $start: Date!, $end: Date!) {
    listings(filter: { city: $city }, first: 5) {
      edges {
        node {
          id
          title
          units
          availability(startDate: $start, endDate: $end) {
            freeUnits
            available
          }
        }
      }
    }
  }
`;

export const BOOK = `
  mutation Book($input: CreateReservationInput!) {
    createReservation(input: $input) {
      reservation {
        id
        status
        startDate
        endDate
        listing {
          id
        }
      }
      errors {
        code
        field
        message
      }
    }
  }
`;

export const AVAILABILITY_CHANGED = `
  subscription AvailabilityChanged($listingId: ID!, $start: Date!, $end: Date!) {
    availabilityChanged(listingId: $listingId, startDate: $start, endDate: $end) {
      startDate
      endDate
      freeUnits
      available
    }
  }
`;

import { check } from './lib.mjs';

/** The one listing FIND_LISTING found, with units to spare in the window. */
export function theListing(data, city) {
  const edges = data?.listings?.edges;
  check(Array.isArray(edges) && edges.length === 1, `expected one listing in ${city}`, data);
  const { node } = edges[0];
  check(typeof node.id === 'string' && node.id.length > 0, 'a listing without an id', node);
  check(node.availability.freeUnits >= 2, 'the listing has no units to spare', node);
  return node;
}

/** A createReservation payload that booked the window of `listingId`. */
export function checkBooked(payload, { listingId, start, end }) {
  check(payload, 'no createReservation payload');
  check(payload.errors?.length === 0, 'the booking was refused', payload.errors);
  const { reservation } = payload;
  check(reservation?.status === 'PENDING', 'not a PENDING hold', reservation);
  check(reservation.startDate === start && reservation.endDate === end, 'other dates', reservation);
  check(reservation.listing.id === listingId, 'another listing', reservation);
  return reservation;
}
