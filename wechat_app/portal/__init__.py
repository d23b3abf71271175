"""Physicians' H5 pages under /m/."""
