"""Import targets of the customer master: contacts and accounts."""
