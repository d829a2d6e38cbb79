test("true");

a(x) if b(x);
b("foo");
