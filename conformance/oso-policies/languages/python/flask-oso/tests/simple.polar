allow("user", "read", "resource");

allow("other_user", "read", "other_resource");

allow("user", "GET", "action_resource");
