"""A host's voucher codes: creating and changing them, and applying one to a stay's price."""
