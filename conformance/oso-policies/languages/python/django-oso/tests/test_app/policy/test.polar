policy_load_test(1);

models(_: test_app::TestRegistration, x) if x = 1;
models(_: test_app::TestRegistration2, x) if x = 2;
