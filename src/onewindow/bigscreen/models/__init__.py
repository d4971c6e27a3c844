"""Models of the big-data display, one module per concern; import from ``onewindow.bigscreen.models``."""

from .crowd import Area, CrowdAlert, CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source, Zone
from .screens import EmergencyMessage, Screen

__all__ = ["Area", "CrowdAlert", "CrowdAreaBucket", "CrowdCount", "CrowdReport", "CrowdRevision", "EmergencyMessage",
           "Screen", "Source", "Zone"]
