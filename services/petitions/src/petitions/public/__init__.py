"""What anyone may read: lists, search, a petition's counts, time series, exports."""
