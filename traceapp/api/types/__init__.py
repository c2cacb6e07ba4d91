"""GraphQL object types: thin views over the domain models' rows."""
