policy_load_test(2);
