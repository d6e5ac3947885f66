"""The reference flight software.  It sees sensor frames and its config only, never truth."""
