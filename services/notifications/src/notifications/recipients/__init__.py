"""Who can be reached: users from identity events, petitions and their followers."""
