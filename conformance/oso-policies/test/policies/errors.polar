testUnhandledPartial() if x = x and x > 0;
