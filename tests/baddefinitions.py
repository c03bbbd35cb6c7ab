"""The malformed definition files of tests/data/bad_definitions and what loading each must say."""

from pathlib import Path

BAD = Path(__file__).parent / "data" / "bad_definitions"

# file, line, key path (None: the whole file), words of the message
BAD_FILES = [
    ("bad_yaml_syntax.yaml", 4, None, "invalid YAML: found unexpected end of stream"),
    ("bad_yaml_indentation.yaml", 4, None, "check the indentation"),
    ("top_level_list.yaml", 1, None, "the definitions must be a mapping or empty, not a list"),
    ("unknown_top_level_key.yaml", 2, "activites", "unknown key 'activites' in the definitions (did you mean 'activities'?)"),
    ("misspelt_parameters.yaml", 4, "activities.get_observations.paramters", "unknown key 'paramters' in activity 'get_observations' (did you mean 'parameters'?)"),
    ("usage_without_role.yaml", 5, "activities.get_observations.usage[0]", "usage item has no 'role'"),
    ("parameters_not_a_list.yaml", 4, "activities.get_observations.parameters", "'parameters' must be a list or empty, not a mapping"),
    ("duplicate_activity.yaml", 6, "activities.get_observations", "duplicate key 'get_observations' (first given on line 2)"),
    ("duplicate_key_in_item.yaml", 6, "activities.run_fit.generation[0].role", "duplicate key 'role' (first given on line 4)"),
    ("bad_value_path_syntax.yaml", 5, "activities.get_datasets.parameters[0].value", "invalid value path 'settings.datasets.stack-datasets'"),
    ("unsafe_value_path.yaml", 5, "activities.get_observations.usage[0].location", "the dunder name '__import__' is not allowed"),
    ("system_module_value_path.yaml", 5, "activities.connect.parameters[0].value", "'os' names a system module; value paths never read modules"),
    ("private_value_path.yaml", 5, "activities.connect.usage[0].value", "the private name '_secret' is not allowed"),
    ("builtin_call_value_path.yaml", 6, "activities.connect.parameters[0].value", "calling the built-in function 'open' is not allowed"),
    ("dunder_key_value_path.yaml", 5, "activities.connect.generation[0].value", "the dunder key '__class__' is not allowed"),
    ("unknown_entity_description.yaml", 5, "activities.get_observations.generation[0].entityType", "unknown entity description 'Observatons' (did you mean 'Observations'?)"),
    ("unknown_member_entity.yaml", 8, "activity_descriptions.get_observations.generation[0].has_members.entity_description", "unknown entity description 'Observaton' (did you mean 'Observation'?)"),
    ("role_not_a_string.yaml", 4, "activities.get_observations.usage[0].role", "'role' must be a string, not a list"),
    ("empty_role.yaml", 4, "activities.get_datasets.usage[0].role", "'role' must not be empty"),
    ("activity_not_a_mapping.yaml", 2, "activities.get_observations", "activity 'get_observations' must be a mapping or empty, not the string 'Fetch observations'"),
    ("item_not_a_mapping.yaml", 6, "activities.get_observations.usage[1]", "usage item must be a mapping, not the string 'observations'"),
    ("both_dialects.yaml", 4, "activity_descriptions", "both 'activities' and 'activity_descriptions' are given"),
    ("two_entity_names.yaml", 6, "activities.set_model.usage[0].entity_description", "'entityType' and 'entity_description' both name the entity"),
    ("members_unknown_key.yaml", 8, "activities.get_observations.generation[0].has_members.identifier", "unknown key 'identifier' in 'has_members'; allowed keys: "),
    ("parameter_without_name_or_value.yaml", 6, "activities.run_fit.parameters[1]", "parameter has neither 'name' nor 'value'"),
    ("duplicate_parameter_name.yaml", 6, "activities.run_fit.parameters[1].name", "duplicate parameter name 'fit range'"),
    ("non_string_key.yaml", 4, "activities", "key '1234' is not a string; quote it"),
    ("bad_namespace_prefix.yaml", 3, 'namespaces["cta obs"]', "invalid name 'cta obs'"),
    ("entity_type_not_a_string.yaml", 4, "entity_descriptions.File.type", "'type' must be a string, not an integer"),
    ("legacy_misspelt_entity_key.yaml", 9, "entity_descriptions.File.descripton", "unknown key 'descripton' in entity description 'File' (did you mean 'description'?)"),
    ("negative_multiplicity.yaml", 6, "activities.get_datasets.usage[0].multiplicity", "'multiplicity' must be at least 0"),
]
