"""What each event says, to whom: messages, deliveries and fan-outs."""
