"""`ecoc nap-sim`: a National Access Point simulator to develop, test and demonstrate delivery against."""
