resource(_: Org, "org", [], {});
actor_has_role_for_resource(_, _, _);
