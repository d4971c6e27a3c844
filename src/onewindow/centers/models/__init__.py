"""Models of the service centers, one module per concern; import from ``onewindow.centers.models``."""

from .booking import Appointment, AppointmentEvent, AppointmentSlot
from .center import Center, CenterStaff, OpeningHours, SpecialOpening, TicketCategory, Window, WindowDuty
from .devices import Device, DeviceBinding, PhoneCheck
from .duty import WindowEvent
from .queue import Ticket, TicketEvent

__all__ = ["Appointment", "AppointmentEvent", "AppointmentSlot", "Center", "CenterStaff", "Device", "DeviceBinding",
           "OpeningHours", "PhoneCheck", "SpecialOpening", "Ticket", "TicketCategory", "TicketEvent", "Window",
           "WindowDuty", "WindowEvent"]
