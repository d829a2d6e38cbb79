is_unitclass(_: UnitClass);

is_parentclass(_: ParentClass);
has_subclass(_: ParentClass);
has_subclass(_: ChildClass);

level(_: ChildClass, 2);
level(_: GrandchildClass, 3);
level(_: ParentClass, 1);
