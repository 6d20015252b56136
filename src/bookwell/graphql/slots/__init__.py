"""Time slots: bookSlot and searchSlots."""
