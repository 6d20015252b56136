"""Waitlist entries: joinWaitlist, leaveWaitlist and myWaitlist."""
