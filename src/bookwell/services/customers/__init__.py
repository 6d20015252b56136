"""A host's customers: the guests who booked their listings, with what they did."""
