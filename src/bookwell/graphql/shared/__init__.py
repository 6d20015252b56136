"""What every domain's types and resolvers share: the Node interface, connections and paging
arguments, money, enums, scalars, errors as data, and the resolvers' common steps."""
