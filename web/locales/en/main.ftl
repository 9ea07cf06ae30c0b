# Citizen pages and emails of a V-Appointment station, in English.
# Translators: keep every message id; change only the text after "=".
# { $name } parts are filled in by the station; keep them as they are.

site-title = V-Appointment
site-tagline = Meet a police officer by video
lang-switch = Language
skip-to-content = Skip to content
station-zone = { $zone }
footer-truth = Times are { $tz } time. This site runs on the station's own computer.

# Home
home-intro = Meet a senior officer of this station by video call from your phone. Pick an officer and a time; you get a 4-digit token by email.
officers-heading = Officers and free times
next-free = Next free times
no-officers = No officer holds appointments here yet.
no-free-slots = No free time in the next 14 days.
all-times = All times for { $name }

# One officer's day
day-heading = { $name }: { $date }
day-none = No appointments on this day.
day-prev = Earlier day
day-next = Later day
slot-taken = taken
choose-day = Choose a day

# Booking form
book-heading = Book a video appointment
book-with = With { $name }, { $rank }
book-when = { $date }, { $time } ({ $minutes } minutes)
field-name = Full name
field-email = Email
field-email-help = Your token and the join link are sent here.
field-mobile = Mobile number (optional)
field-category = Reason
field-reason = Describe your reason
field-reason-help = Up to 1000 characters. Needed when you choose “Other”.
field-documents = Documents (optional)
field-documents-help = Up to 5 files: PDF, JPEG or PNG, 10 MB each.
category-complaint = Complaint
category-fir_follow_up = Follow-up on an FIR
category-lost_article = Lost article
category-domestic_violence = Domestic violence
category-cyber_fraud = Cyber fraud
category-other = Other
choose-category = Choose a reason
book-submit = Book appointment
book-privacy = Only officers of this station see what you write and upload.

# Confirmation
booked-heading = Your appointment is booked
booked-reference = Reference
booked-email-sent = We sent an email to { $email } with your 4-digit token and the link to join the video call.
booked-keep = Keep that email. Join from it at the time of your appointment; the token works from 15 minutes before.
booked-no-mail = If the email does not arrive within an hour, check your spam folder.

# Manage one appointment (link from the email)
manage-heading = Your appointment
manage-officer = Officer
manage-when = When
manage-status = Status
status-booked = Booked
status-cancelled = Cancelled
manage-change-until = You can cancel or change it until { $time } on { $date }.
manage-too-late = It is too late to cancel or change this appointment online.
cancel-button = Cancel this appointment
cancel-done = Your appointment is cancelled. We sent you an email to confirm.
reschedule-heading = Choose another time
reschedule-button = Move to this time
reschedule-done = Your appointment is moved. We sent you an email with a new token.
join-link = Join the video call

# Join (token)
join-heading = Join your appointment
join-token-label = Your 4-digit token from the email
join-button = Continue
join-opens = The token works from 15 minutes before your appointment at { $time }.
join-new-token = Email me a new token
join-new-token-sent = We sent a new token to your email. The old one no longer works.

# Errors (shown to citizens)
err-invalid = Please check the form.
err-required = This is needed.
err-too_long = This is too long.
err-invalid_email = This does not look like an email address.
err-invalid_mobile = Use 7 to 15 digits, e.g. +91 98220 12345.
err-required_for_other = Please describe your reason.
err-invalid_start = That time is not valid.
err-past = That time has already passed. Please choose another.
err-not_offered = The officer does not hold appointments at that time.
err-too_far = You can book up to 30 days ahead.
err-unknown_officer = That officer is not available.
err-slot_taken = Someone else has just booked that time. Please choose another.
err-email_day_taken = You already have an appointment with this officer on that day.
err-too_many_documents = At most 5 documents.
err-too_large = A document is larger than 10 MB. Please send a smaller file.
err-unsupported_document = Only PDF, JPEG and PNG files can be sent.
err-rate_limited = Too many tries. Please wait a minute and try again.
err-not_found = We could not find that page. Check the link in your email.
err-too_late = It is too late to change this appointment online. Please call the station.
err-not_booked = This appointment is cancelled.
err-wrong_token = That token is not right. { $tries } tries left.
err-token_dead = Too many wrong tries. Ask for a new token below.
err-too_early = It is too early: the token works from 15 minutes before your appointment.
err-ended = This appointment has ended.
err-forbidden = You are not allowed to do that.
err-bad_request = That request could not be read.
err-internal = Something went wrong on our side. Nothing was lost; please try again.
back-home = Back to the station page
setup-not-open = This station's booking site is not open yet. Please try again later.

# Emails
email-booked-subject = Your video appointment { $reference } on { $date }
email-moved-subject = Moved: your video appointment { $reference } on { $date }
email-cancelled-subject = Cancelled: your video appointment { $reference }
email-token-subject = New token for your video appointment { $reference }
email-hello = Dear { $name },
email-booked-intro = Your video appointment at { $station } is booked.
email-moved-intro = Your video appointment at { $station } has moved to a new time.
email-cancelled-intro = Your video appointment at { $station } is cancelled.
email-token-intro = Here is a new token for your video appointment. The old one no longer works.
email-token-label = Your 4-digit token (do not share it):
email-when = When: { $date }, { $time }
email-officer = Officer: { $name }, { $rank }
email-reference = Reference: { $reference }
email-join = To join, open this link at the time of your appointment and enter the token:
email-manage = To cancel or change it (until { $time } on { $date }):
email-calendar = The attached file adds the appointment to your calendar.
email-footer = { $station }, { $zone }. This email was sent because someone booked with this address. If it was not you, you can ignore it.
ics-summary = Video appointment with { $name } ({ $station })

# Waiting room and call
call-heading = Your video appointment
call-device-heading = Before the call
call-check-camera = Checking your camera and microphone…
call-camera-ok = Camera and microphone work.
call-camera-denied = The browser did not allow the camera or microphone. Tap the lock or camera sign next to the web address, allow both, then reload this page.
call-camera-missing = No camera found. You can still talk with audio only.
call-connection-ok = Connection to the station: good ({ $ms } ms).
call-connection-slow = Connection to the station is slow ({ $ms } ms). Video may be poor; audio should work.
call-connection-failed = Cannot reach the station. Check your internet connection; this page keeps trying.
call-waiting = You are in the waiting room. The officer will call you in. Keep this page open.
call-position = Your place in the queue: { $position }
call-expected = Expected at about { $time }
call-officer-late = The officer is running about { $minutes } minutes late. Sorry for the wait.
call-admitted = The officer is calling you in…
call-connecting = Connecting the video…
call-in-call = You are talking with the officer.
call-remaining = Time left: { $time }
call-ending = Time is up. The call closes in a few seconds.
call-ended = The call has ended. Thank you.
call-ended-message = Message from the officer:
call-back-to-waiting = The officer put you back in the waiting room for a moment.
call-audio-only = Audio only
call-reconnecting = Connection lost. Reconnecting…
call-mute = Mute
call-unmute = Unmute
call-camera-off = Camera off
call-camera-on = Camera on
call-leave = Leave
call-you = You
call-officer-video = Officer
call-noscript = The video call needs JavaScript. Please turn it on, or use another browser such as Chrome.

# Hub: the city's directory of stations
hub-directory-title = Find your police station
hub-intro = Book a video appointment with a senior officer of the police station that covers your area. Search for your area or road, or choose a station below.
hub-search-label = Which police station covers your area?
hub-search-help = Type an area, a road or the name of a station, for example: Karve Road
hub-search-button = Search
hub-show-all = Show all stations
hub-count = { $count ->
    [one] One police station takes video appointments.
   *[other] { $count } police stations take video appointments.
}
hub-results = { $count ->
    [one] One station found for “{ $q }”.
   *[other] { $count } stations found for “{ $q }”.
}
hub-no-results = No station found for “{ $q }”. Please check the spelling, try a nearby area or road, or look through all stations.
hub-no-stations = No police station is listed here yet.
hub-zones = Zones
hub-localities = Areas covered
hub-next-free = Next free time
hub-no-free-slot = No free time in the next 14 days.
hub-stale = This station has not sent its times recently, so they may be out of date. Its own booking page shows the latest times.
hub-book = Book at { $station }
hub-privacy = Each station runs its own booking site. What you write there goes only to that station.

# calls and appointment states
join-opens-at = You can join from { $opens } (15 minutes before your { $time } appointment).
status-done = Done
status-ended_early = Ended early
status-no_show = Missed
final-done = Your video appointment has taken place. Thank you.
final-ended_early = The call ended before its time was up. If you still need help, please book another appointment.
final-no_show = The time of this appointment has passed without a call. If you still need help, please book another appointment.
final-message = Message from the officer
final-book-again = Book another appointment
call-video-back = Turn video back on
call-leave-confirm = Leave the call? The officer cannot call you back in after you leave.
call-leave-yes = Yes, leave
call-leave-no = Stay in the call
confirm-cancel-heading = Cancel this appointment?
confirm-cancel-text = Your appointment with { $officer } at { $time } on { $date } will be cancelled, and the time given to someone else.
confirm-cancel-yes = Yes, cancel it
confirm-move-heading = Move this appointment?
confirm-move-text = Your appointment moves from { $from } to { $to }. You will get a new token by email.
confirm-move-yes = Yes, move it
confirm-keep = No, keep my appointment as it is
