"""Staff pages of data sharing under /sharing/."""
