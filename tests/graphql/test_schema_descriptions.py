"""Every part of the public schema says what it means: analysts read it in GraphiQL's docs."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    specified_scalar_types,
)

from bookwell.graphql.schema import schema


def _described(description: str | None) -> bool:
    return bool(description and description.strip())


def _undescribed_parts(named: GraphQLNamedType) -> list[str]:
    """`named` itself, its fields and their arguments, input fields or values that have no
    description, as Type, Type.field, Type.field(argument) or Type.VALUE."""
    missing = [] if _described(named.description) else [named.name]
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in named.fields.items():
            if not _described(field.description):
                missing.append(f"{named.name}.{field_name}")
            missing.extend(
                f"{named.name}.{field_name}({argument_name})"
                for argument_name, argument in field.args.items()
                if not _described(argument.description)
            )
    elif isinstance(named, GraphQLInputObjectType):
        missing.extend(
            f"{named.name}.{field_name}"
            for field_name, field in named.fields.items()
            if not _described(field.description)
        )
    elif isinstance(named, GraphQLEnumType):
        missing.extend(
            f"{named.name}.{value_name}"
            for value_name, value in named.values.items()
            if not _described(value.description)
        )
    return missing


def _own_types() -> list[GraphQLNamedType]:
    """Every named type of the schema but introspection's and GraphQL's built-in scalars."""
    return [
        named
        for name, named in sorted(schema._schema.type_map.items())
        if not name.startswith("__")
        and not (isinstance(named, GraphQLScalarType) and name in specified_scalar_types)
    ]


def test_the_walk_sees_every_kind_of_part():
    """A guard for the test below: it would pass on a schema it could not read."""
    for kind in (GraphQLObjectType, GraphQLInputObjectType, GraphQLEnumType):
        assert any(isinstance(named, kind) for named in _own_types()), kind
    assert "Query" in {named.name for named in _own_types()}
    assert "String" not in {named.name for named in _own_types()}


def test_every_type_field_argument_input_field_and_enum_value_is_described():
    missing = [part for named in _own_types() for part in _undescribed_parts(named)]
    assert missing == [], f"{len(missing)} parts of the schema have no description:\n" + "\n".join(
        missing
    )
