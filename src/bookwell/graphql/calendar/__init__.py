"""importCalendar."""
