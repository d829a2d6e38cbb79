apple();
