"""Pages of the service centers: public (ticket status, print, boards), kiosk, staff (views.staff)."""
