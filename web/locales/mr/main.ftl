# V-Appointment पोलीस स्टेशनची नागरिकांसाठीची पाने आणि ईमेल, मराठीत.
# अनुवादकांसाठी: प्रत्येक message id तसाच ठेवा; फक्त "=" नंतरचा मजकूर बदला.
# { $name } असे भाग स्टेशनकडून भरले जातात; ते जसेच्या तसे ठेवा.

site-title = V-Appointment
site-tagline = व्हिडिओ कॉलद्वारे पोलीस अधिकाऱ्यांना भेटा
lang-switch = भाषा
skip-to-content = मुख्य मजकुराकडे जा
station-zone = { $zone }
footer-truth = सर्व वेळा { $tz } वेळेनुसार आहेत. ही वेबसाइट पोलीस स्टेशनच्या स्वतःच्या संगणकावर चालते.

# मुख्य पान
home-intro = तुमच्या फोनवरून व्हिडिओ कॉलद्वारे या पोलीस स्टेशनच्या वरिष्ठ अधिकाऱ्यांना भेटा. अधिकारी आणि वेळ निवडा; तुम्हाला ईमेलवर 4 अंकी टोकन मिळेल.
officers-heading = अधिकारी आणि उपलब्ध वेळा
next-free = पुढील उपलब्ध वेळा
no-officers = येथे अद्याप कोणतेही अधिकारी भेटीची वेळ देत नाहीत.
no-free-slots = पुढील 14 दिवसांत कोणतीही वेळ उपलब्ध नाही.
all-times = { $name } यांच्या सर्व वेळा

# एका अधिकाऱ्याचा दिवस
day-heading = { $name }: { $date }
day-none = या दिवशी भेटीची कोणतीही वेळ नाही.
day-prev = मागील दिवस
day-next = पुढील दिवस
slot-taken = बुक झाली
choose-day = दिवस निवडा

# बुकिंग फॉर्म
book-heading = व्हिडिओ भेटीची वेळ बुक करा
book-with = { $name }, { $rank } यांच्यासोबत
book-when = { $date }, { $time } ({ $minutes } मिनिटे)
field-name = पूर्ण नाव
field-email = ईमेल
field-email-help = तुमचे टोकन आणि व्हिडिओ कॉलची लिंक या ईमेलवर पाठवली जाईल.
field-mobile = मोबाइल नंबर (ऐच्छिक)
field-category = कारण
field-reason = तुमचे कारण थोडक्यात लिहा
field-reason-help = जास्तीत जास्त 1000 अक्षरे. “इतर” निवडल्यास हे लिहिणे आवश्यक आहे.
field-documents = कागदपत्रे (ऐच्छिक)
field-documents-help = जास्तीत जास्त 5 फाइल्स: PDF, JPEG किंवा PNG, प्रत्येकी 10 MB पर्यंत.
category-complaint = तक्रार
category-fir_follow_up = FIR बाबत पाठपुरावा
category-lost_article = हरवलेली वस्तू
category-domestic_violence = कौटुंबिक हिंसाचार
category-cyber_fraud = सायबर फसवणूक
category-other = इतर
choose-category = कारण निवडा
book-submit = वेळ बुक करा
book-privacy = तुम्ही लिहिलेली माहिती आणि अपलोड केलेली कागदपत्रे फक्त या पोलीस स्टेशनचे अधिकारी पाहू शकतात.

# खात्री
booked-heading = तुमची भेटीची वेळ बुक झाली आहे
booked-reference = संदर्भ क्रमांक
booked-email-sent = आम्ही { $email } वर ईमेल पाठवला आहे. त्यात तुमचे 4 अंकी टोकन आणि व्हिडिओ कॉलमध्ये सामील होण्याची लिंक आहे.
booked-keep = हा ईमेल जपून ठेवा. भेटीच्या वेळी याच ईमेलमधील लिंकवरून सामील व्हा; टोकन भेटीच्या 15 मिनिटे आधीपासून चालेल.
booked-no-mail = एका तासात ईमेल आला नाही, तर तुमचा स्पॅम फोल्डर तपासा.

# एक भेट सांभाळा (ईमेलमधील लिंक)
manage-heading = तुमची भेटीची वेळ
manage-officer = अधिकारी
manage-when = केव्हा
manage-status = स्थिती
status-booked = बुक झाली
status-cancelled = रद्द झाली
manage-change-until = तुम्ही { $date } रोजी { $time } पर्यंत ही वेळ रद्द करू शकता किंवा बदलू शकता.
manage-too-late = आता ही भेटीची वेळ ऑनलाइन रद्द करण्यास किंवा बदलण्यास खूप उशीर झाला आहे.
cancel-button = ही भेटीची वेळ रद्द करा
cancel-done = तुमची भेटीची वेळ रद्द झाली आहे. खात्रीसाठी आम्ही तुम्हाला ईमेल पाठवला आहे.
reschedule-heading = दुसरी वेळ निवडा
reschedule-button = ही वेळ निवडा
reschedule-done = तुमची भेटीची वेळ बदलली आहे. आम्ही तुम्हाला नवीन टोकनसह ईमेल पाठवला आहे.
join-link = व्हिडिओ कॉलमध्ये सामील व्हा

# सामील व्हा (टोकन)
join-heading = तुमच्या भेटीत सामील व्हा
join-token-label = ईमेलमध्ये आलेले तुमचे 4 अंकी टोकन
join-button = पुढे चला
join-opens = टोकन तुमच्या भेटीच्या वेळेच्या ({ $time }) 15 मिनिटे आधीपासून चालेल.
join-new-token = मला ईमेलवर नवीन टोकन पाठवा
join-new-token-sent = आम्ही तुमच्या ईमेलवर नवीन टोकन पाठवले आहे. जुने टोकन आता चालणार नाही.

# त्रुटी (नागरिकांना दिसणाऱ्या)
err-invalid = कृपया फॉर्म तपासा.
err-required = ही माहिती आवश्यक आहे.
err-too_long = हे खूप मोठे आहे.
err-invalid_email = हा ईमेल पत्ता योग्य वाटत नाही.
err-invalid_mobile = 7 ते 15 अंक लिहा, उदा. +91 98220 12345.
err-required_for_other = कृपया तुमचे कारण लिहा.
err-invalid_start = ही वेळ योग्य नाही.
err-past = ही वेळ आधीच निघून गेली आहे. कृपया दुसरी वेळ निवडा.
err-not_offered = अधिकारी त्या वेळेत भेटीची वेळ देत नाहीत.
err-too_far = तुम्ही जास्तीत जास्त 30 दिवस आधी वेळ बुक करू शकता.
err-unknown_officer = हे अधिकारी उपलब्ध नाहीत.
err-slot_taken = ही वेळ आत्ताच दुसऱ्या कोणीतरी बुक केली आहे. कृपया दुसरी वेळ निवडा.
err-email_day_taken = त्या दिवशी या अधिकाऱ्यांसोबत तुमची आधीच एक भेटीची वेळ बुक आहे.
err-too_many_documents = जास्तीत जास्त 5 कागदपत्रे पाठवता येतात.
err-too_large = एक कागदपत्र 10 MB पेक्षा मोठे आहे. कृपया लहान फाइल पाठवा.
err-unsupported_document = फक्त PDF, JPEG आणि PNG फाइल्स पाठवता येतात.
err-rate_limited = खूप वेळा प्रयत्न झाले. कृपया एक मिनिट थांबा आणि पुन्हा प्रयत्न करा.
err-not_found = हे पान सापडले नाही. तुमच्या ईमेलमधील लिंक तपासा.
err-too_late = ही भेटीची वेळ ऑनलाइन बदलण्यास खूप उशीर झाला आहे. कृपया पोलीस स्टेशनला फोन करा.
err-not_booked = ही भेटीची वेळ रद्द झाली आहे.
err-wrong_token = हे टोकन बरोबर नाही. उरलेले प्रयत्न: { $tries }.
err-token_dead = खूप वेळा चुकीचे टोकन टाकले गेले. खाली नवीन टोकन मागवा.
err-too_early = अजून वेळ झालेली नाही: टोकन तुमच्या भेटीच्या 15 मिनिटे आधीपासून चालेल.
err-ended = ही भेट संपली आहे.
err-forbidden = तुम्हाला हे करण्याची परवानगी नाही.
err-bad_request = ही विनंती वाचता आली नाही.
err-internal = आमच्याकडून काहीतरी चूक झाली. तुमची कोणतीही माहिती हरवलेली नाही; कृपया पुन्हा प्रयत्न करा.
back-home = पोलीस स्टेशनच्या पानावर परत जा
setup-not-open = या पोलीस स्टेशनची बुकिंग साइट अजून सुरू झालेली नाही. कृपया नंतर पुन्हा प्रयत्न करा.

# ईमेल
email-booked-subject = { $date } रोजीची तुमची व्हिडिओ भेट { $reference }
email-moved-subject = वेळ बदलली: { $date } रोजीची तुमची व्हिडिओ भेट { $reference }
email-cancelled-subject = रद्द: तुमची व्हिडिओ भेट { $reference }
email-token-subject = तुमच्या व्हिडिओ भेटीसाठी ({ $reference }) नवीन टोकन
email-hello = नमस्कार { $name },
email-booked-intro = { $station } येथील तुमची व्हिडिओ भेटीची वेळ बुक झाली आहे.
email-moved-intro = { $station } येथील तुमची व्हिडिओ भेट नवीन वेळेवर हलवली आहे.
email-cancelled-intro = { $station } येथील तुमची व्हिडिओ भेट रद्द झाली आहे.
email-token-intro = तुमच्या व्हिडिओ भेटीसाठी हे नवीन टोकन आहे. जुने टोकन आता चालणार नाही.
email-token-label = तुमचे 4 अंकी टोकन (हे कोणालाही सांगू नका):
email-when = केव्हा: { $date }, { $time }
email-officer = अधिकारी: { $name }, { $rank }
email-reference = संदर्भ क्रमांक: { $reference }
email-join = सामील होण्यासाठी, भेटीच्या वेळी ही लिंक उघडा आणि टोकन टाका:
email-manage = भेट रद्द करण्यासाठी किंवा बदलण्यासाठी ({ $date } रोजी { $time } पर्यंत):
email-calendar = सोबत जोडलेल्या फाइलमुळे ही भेट तुमच्या कॅलेंडरमध्ये नोंदवली जाईल.
email-footer = { $station }, { $zone }. या ईमेल पत्त्यावर कोणीतरी भेटीची वेळ बुक केल्यामुळे हा ईमेल पाठवला आहे. ते तुम्ही नसाल, तर या ईमेलकडे दुर्लक्ष करा.
ics-summary = { $name } ({ $station }) यांच्यासोबत व्हिडिओ भेट

# वेटिंग रूम आणि व्हिडिओ कॉल
call-heading = तुमची व्हिडिओ भेट
call-device-heading = कॉल सुरू होण्यापूर्वी
call-check-camera = तुमचा कॅमेरा आणि माइक तपासत आहोत…
call-camera-ok = कॅमेरा आणि माइक व्यवस्थित चालत आहेत.
call-camera-denied = ब्राउझरने कॅमेरा किंवा माइक वापरण्याची परवानगी दिली नाही. वेबसाइटच्या पत्त्याशेजारी असलेल्या कुलूपाच्या किंवा कॅमेऱ्याच्या चिन्हावर टॅप करा, दोन्हींना परवानगी द्या, आणि मग हे पान पुन्हा लोड करा.
call-camera-missing = कॅमेरा सापडला नाही. तरीही तुम्ही फक्त आवाजाद्वारे बोलू शकता.
call-connection-ok = पोलीस स्टेशनशी कनेक्शन: चांगले ({ $ms } ms).
call-connection-slow = पोलीस स्टेशनशी कनेक्शन धीमे आहे ({ $ms } ms). व्हिडिओ कदाचित नीट दिसणार नाही; पण आवाज ऐकू यायला हवा.
call-connection-failed = पोलीस स्टेशनशी संपर्क होत नाही. तुमचे इंटरनेट कनेक्शन तपासा; हे पान आपोआप पुन्हा प्रयत्न करत राहील.
call-waiting = तुम्ही वेटिंग रूममध्ये आहात. अधिकारी तुम्हाला बोलावतील. हे पान उघडे ठेवा.
call-position = रांगेत तुमचा क्रमांक: { $position }
call-expected = अंदाजे { $time } वाजता तुमचा नंबर येईल.
call-officer-late = अधिकाऱ्यांना सुमारे { $minutes } मिनिटे उशीर होत आहे. थांबावे लागत असल्याबद्दल क्षमस्व.
call-admitted = अधिकारी तुम्हाला बोलावत आहेत…
call-connecting = व्हिडिओ कॉल जोडला जात आहे…
call-in-call = तुम्ही अधिकाऱ्यांशी बोलत आहात.
call-remaining = उरलेला वेळ: { $time }
call-ending = वेळ संपली आहे. काही सेकंदांत कॉल बंद होईल.
call-ended = कॉल संपला आहे. धन्यवाद.
call-ended-message = अधिकाऱ्यांचा संदेश:
call-back-to-waiting = अधिकाऱ्यांनी तुम्हाला थोड्या वेळासाठी पुन्हा वेटिंग रूममध्ये पाठवले आहे.
call-audio-only = फक्त आवाज
call-reconnecting = कनेक्शन तुटले. पुन्हा जोडत आहोत…
call-mute = माइक बंद करा
call-unmute = माइक चालू करा
call-camera-off = कॅमेरा बंद करा
call-camera-on = कॅमेरा चालू करा
call-leave = कॉलमधून बाहेर पडा
call-you = तुम्ही
call-officer-video = अधिकारी
call-noscript = व्हिडिओ कॉलसाठी JavaScript आवश्यक आहे. कृपया ते चालू करा, किंवा Chrome सारखा दुसरा ब्राउझर वापरा.

# Hub: शहरातील पोलीस स्टेशनची यादी
hub-directory-title = तुमचे पोलीस स्टेशन शोधा
hub-intro = तुमचा परिसर ज्या पोलीस स्टेशनच्या हद्दीत येतो, तेथील वरिष्ठ अधिकाऱ्यांसोबत व्हिडिओ भेटीची वेळ बुक करा. तुमचा परिसर किंवा रस्ता शोधा, किंवा खालील यादीतून पोलीस स्टेशन निवडा.
hub-search-label = तुमचा परिसर कोणत्या पोलीस स्टेशनच्या हद्दीत येतो?
hub-search-help = परिसर, रस्ता किंवा पोलीस स्टेशनचे नाव लिहा, उदा. Karve Road
hub-search-button = शोधा
hub-show-all = सर्व पोलीस स्टेशन पाहा
hub-count = { $count ->
    [one] एक पोलीस स्टेशन व्हिडिओ भेटीची वेळ देते.
   *[other] { $count } पोलीस स्टेशन व्हिडिओ भेटीची वेळ देतात.
}
hub-results = { $count ->
    [one] “{ $q }” या शोधासाठी एक पोलीस स्टेशन सापडले.
   *[other] “{ $q }” या शोधासाठी { $count } पोलीस स्टेशन सापडली.
}
hub-no-results = “{ $q }” या शोधासाठी कोणतेही पोलीस स्टेशन सापडले नाही. कृपया स्पेलिंग तपासा, जवळचा परिसर किंवा रस्ता शोधून पाहा, किंवा सर्व पोलीस स्टेशनची यादी पाहा.
hub-no-stations = येथे अद्याप कोणतेही पोलीस स्टेशन नोंदवलेले नाही.
hub-zones = झोन
hub-localities = हद्दीतील परिसर
hub-next-free = पुढील उपलब्ध वेळ
hub-no-free-slot = पुढील 14 दिवसांत कोणतीही वेळ उपलब्ध नाही.
hub-stale = या पोलीस स्टेशनने अलीकडे आपल्या वेळा पाठवलेल्या नाहीत, त्यामुळे त्या जुन्या असू शकतात. स्टेशनच्या बुकिंग पानावर अद्ययावत वेळा दिसतील.
hub-book = { $station } येथे वेळ बुक करा
hub-privacy = प्रत्येक पोलीस स्टेशनची स्वतःची बुकिंग वेबसाइट आहे. तेथे तुम्ही लिहिलेली माहिती फक्त त्याच पोलीस स्टेशनला मिळते.

# बुकिंग फॉर्म: नाकारलेली कागदपत्रे, इतर वेळा, गेलेल्या वेळा
slot-past = वेळ गेली
book-other-times = ही वेळ बुक करता येत नाही. दुसरी वेळ निवडा:
upload-too_large = “{ $file }” 10 MB पेक्षा मोठी आहे. कृपया लहान फाइल निवडा.
upload-unsupported_document = “{ $file }” ही PDF, JPEG किंवा PNG फाइल नाही.
upload-too_many_documents = “{ $file }” जास्तीची आहे: जास्तीत जास्त 5 कागदपत्रे पाठवता येतात.
upload-choose-again = तुमची कागदपत्रे ठेवली गेली नाहीत: कृपया ती पुन्हा निवडा.
upload-sending = पाठवत आहे…
reschedule-current = तुमची भेट सध्या { $date } रोजी { $time } वाजता आहे.

# station contact, emergency and mail health
emergency-call-112 = आपत्कालीन परिस्थितीत 112 वर कॉल करा.
emergency-dv = तुम्हाला आत्ता धोका असेल तर या भेटीची वाट पाहू नका: लगेच 112 वर कॉल करा.
station-phone-label = पोलीस स्टेशनचा फोन:
station-address-label = पत्ता:
console-mail-banner = नागरिकांपर्यंत ईमेल पोहोचत नाहीत.
console-mail-no-relay = मेल रिले सेट केलेला नाही, त्यामुळे ईमेल (नागरिकांच्या टोकनसह) या बॉक्सच्या स्पूल फोल्डरमध्येच राहतात. तिथे थांबलेले ईमेल: { $count }.
console-mail-local-sender = पाठवणाऱ्याचा पत्ता { $sender } .local वर आहे; इतर मेल सर्व्हर असे ईमेल नाकारतात.
console-mail-failing = { $count ->
    [one] एक ईमेल पोहोचवता आला नाही.
   *[other] { $count } ईमेल पोहोचवता आले नाहीत.
}
console-mail-fix = मेल रिले सेट करा
console-mail-see = मेल पहा
console-mail-ask-admin = ईमेल सुरू करण्यासाठी तुमच्या स्टेशनच्या ॲडमिनला सांगा.
checklist-heading = सुरुवात
checklist-intro = नागरिकांना नीट सेवा देण्यापूर्वी या स्टेशनला लागणाऱ्या गोष्टी. प्रत्येक गोष्ट पूर्ण झाल्यावर तिच्यापुढे खूण होते.
checklist-officers = नागरिकांना भेटणारे अधिकारी जोडा
checklist-hours = अधिकारी नागरिकांना कोणत्या वेळेत भेटतात ते ठरवा
checklist-relay = मेल रिले सेट करा, म्हणजे टोकन नागरिकांपर्यंत पोहोचतील
checklist-hub = आयुक्तालयाच्या हबमध्ये नोंदणी करा
checklist-done = पूर्ण
checklist-todo = बाकी
checklist-dismiss = ही यादी लपवा
station-test-mail-heading = चाचणी ईमेल पाठवा
station-test-mail-help = तो नागरिकांच्या ईमेलप्रमाणेच आउटबॉक्स आणि मेल रिलेमधून जातो, आणि मग तो पोहोचला की नाही ते हे पान सांगते.
station-test-mail-to = कोणाला पाठवायचा
station-test-mail-send = चाचणी ईमेल पाठवा

# reminders, calendar and hub directory
email-reminder-subject = आठवण: { $date } रोजी { $time } वाजता तुमची व्हिडिओ भेट { $reference }
email-reminder-intro = { $station } येथील तुमच्या व्हिडिओ भेटीची ही आठवण आहे. बुकिंगच्या ईमेलमधील 4 अंकी टोकन तयार ठेवा.
calendar-add = कॅलेंडरमध्ये जोडा
calendar-help = कॅलेंडर फाइल (.ics) डाउनलोड होईल; तुमचा फोन किंवा संगणक ती भेट कॅलेंडरमध्ये नोंदवेल.
hub-also-known-as = इतर नावे
hub-times-not-shown = या पोलीस स्टेशनच्या उपलब्ध वेळा येथे दाखवल्या जात नाहीत.
hub-open-station-page = वेळा पाहण्यासाठी आणि बुक करण्यासाठी { $station } चे पान उघडा.

# officer console
console-form-expired = हा फॉर्म कालबाह्य झाला आहे. मागे जा, पान पुन्हा लोड करा आणि पुन्हा प्रयत्न करा.
console-admin-only = हे फक्त स्टेशन ॲडमिन करू शकतात.
console-too-many-tries = खूप प्रयत्न झाले. एक मिनिट थांबा आणि पुन्हा प्रयत्न करा.
console-check-fields = काही रकान्यांकडे लक्ष द्या: त्यांच्या शेजारचे संदेश पाहा.
console-saved = जतन केले.
console-save = जतन करा
console-my-hours = माझ्या वेळा
console-officers = अधिकारी
console-change-password = माझा पासवर्ड बदला
console-hours-intro = या वेळांमधून तयार होणारे स्लॉट नागरिक बुक करू शकतात. आधी झालेली बुकिंग जशीच्या तशी राहतात.
console-weekly-hours = साप्ताहिक वेळा
console-hours-help = प्रत्येक वेळ-मर्यादेचे दिवस निवडा आणि तिच्या वेळा द्या. एखादी मर्यादा काढायची असल्यास ती रिकामी ठेवा.
console-range = वेळ-मर्यादा { $n }
console-from = पासून
console-to = पर्यंत
console-day-mon = सोम
console-day-tue = मंगळ
console-day-wed = बुध
console-day-thu = गुरु
console-day-fri = शुक्र
console-day-sat = शनि
console-day-sun = रवि
console-hours-text = प्रगत: वेळा मजकूर स्वरूपात
console-hours-text-label = मजकूर स्वरूपात वेळा (भरल्यास वरील वेळ-मर्यादांऐवजी वापरल्या जातात)
console-hours-text-help = कमांड लाइनप्रमाणे, उदा. Mon-Sat 11:00-13:00 किंवा Mon-Fri 11:00-13:00 16:00-17:00; Sat 10:00-12:00.
console-slot-minutes = प्रत्येक भेटीसाठी मिनिटे
console-days-off = सुट्टीचे दिवस
console-days-off-help = स्वल्पविरामाने वेगळ्या केलेल्या तारखा, उदा. 2026-12-25, 2027-01-26.
console-preview = पूर्वावलोकन
console-preview-heading = पुढील 7 दिवसांतील स्लॉट
console-preview-slots = { $count } स्लॉट
console-preview-off = सुट्टी
console-preview-none = स्लॉट नाहीत
console-preview-fix = स्लॉट पाहण्यासाठी वेळा दुरुस्त करा.
console-hours-no-day = वेळ-मर्यादा { $row }: किमान एक दिवस निवडा.
console-hours-no-time = वेळ-मर्यादा { $row }: दोन्ही वेळा द्या.
console-hours-syntax = वेळा वाचता आल्या नाहीत: त्या Mon-Sat 11:00-13:00 अशा लिहा.
console-hours-empty-range = { $range } ही वेळ-मर्यादा सुरू झाल्यानंतरच संपली पाहिजे.
console-hours-overlap = { $day } रोजच्या वेळ-मर्यादा एकमेकांवर येतात.
console-hours-too-many = खूप जास्त वेळ-मर्यादा (जास्तीत जास्त 28).
console-slot-range = प्रत्येक भेटीसाठी मिनिटे 5 ते 60 दरम्यान असावीत.
console-days-off-bad = “{ $day }” ही 2026-12-25 सारखी तारीख नाही.
console-days-off-many = जास्तीत जास्त 366 सुट्टीचे दिवस.
console-schedule-saved = जतन केले. नागरिकांना आता नवीन स्लॉट दिसतील.
console-password-heading = माझा पासवर्ड बदला
console-password-intro = बदल केल्यानंतर तुम्ही येथे लॉग इन राहाल आणि तुमची इतर सर्व सत्रे संपतील.
console-current-password = सध्याचा पासवर्ड
console-new-password = नवीन पासवर्ड (किमान { $min } अक्षरे)
console-new-password-again = नवीन पासवर्ड पुन्हा
console-password-submit = पासवर्ड बदला
console-password-wrong = हा तुमचा सध्याचा पासवर्ड नाही.
console-password-short = पासवर्डमध्ये किमान { $min } अक्षरे हवीत.
console-password-mismatch = दोन्ही नवीन पासवर्ड सारखे नाहीत.
console-password-changed = पासवर्ड बदलला. तुमची इतर सत्रे संपली आहेत.
console-reset-heading = नवीन पासवर्ड
console-reset-intro = { $name } पासवर्ड विसरले असल्यास: { $name } यांची सर्व सत्रे संपतात आणि ते नवीन पासवर्डने लॉग इन करतात.
console-reset-submit = नवीन पासवर्ड ठेवा
console-password-reset = { $name } यांच्यासाठी नवीन पासवर्ड ठेवला. तो त्यांना प्रत्यक्ष सांगा; त्यांची सत्रे संपली आहेत.
console-col-name-rank = नाव आणि पद
console-col-email = ईमेल
console-col-hours = वेळा
console-col-actions = क्रिया
console-name-of = { $name } यांचे नाव
console-rank-of = { $name } यांचे पद
console-admin = ॲडमिन
console-minutes = { $m } मिनिटे
console-edit-officer = वेळा, सुट्ट्या आणि पासवर्ड
console-edit-officer-of = वेळा, सुट्ट्या आणि पासवर्ड: { $name }
console-remove = काढून टाका
console-remove-of = काढून टाका: { $name }
console-add-heading = अधिकारी जोडा
console-field-name = नाव
console-field-rank = पद
console-field-email = ईमेल
console-field-password = पहिला पासवर्ड (किमान { $min } अक्षरे)
console-field-admin = स्टेशन ॲडमिन (अधिकारी आणि सेटिंग्ज सांभाळू शकतात)
console-add-submit = अधिकारी जोडा
console-label-bad = 1 ते 100 अक्षरे हवीत.
console-email-bad = हा ईमेल पत्ता नाही.
console-email-taken = या ईमेलचे अधिकारी आधीपासून आहेत.
console-officer-added = अधिकारी जोडले: { $name }.
console-officer-removed = अधिकारी काढून टाकले.
console-officer-has-bookings = या अधिकाऱ्यांच्या पुढील भेटी अजून बुक आहेत. आधी त्या पूर्ण करा किंवा रद्द करा.
console-last-admin = स्टेशनला किमान एक ॲडमिन हवा.
console-title = कन्सोल
console-name = अधिकारी कन्सोल
console-nav-calls = कॉल
console-nav-day = दिवस
console-nav-station = स्टेशन
console-nav-mail = ईमेल
console-logout = लॉग आउट
console-login-title = लॉग इन
console-login-heading = अधिकारी लॉग इन
console-login-password = पासवर्ड
console-login-submit = लॉग इन करा
console-login-wrong = ईमेल किंवा पासवर्ड चुकीचा आहे.
console-login-expired = हा फॉर्म कालबाह्य झाला आहे. लॉग इनचे पान पुन्हा लोड करा आणि पुन्हा प्रयत्न करा.
console-day-prev = ← मागील दिवस
console-day-today = आज
console-day-next = पुढील दिवस →
console-day-go = या तारखेला जा
console-day-show = दाखवा
console-day-all = सर्व अधिकारी
console-day-none = या दिवशी कोणत्याही भेटी नाहीत.
console-col-time = वेळ
console-col-citizen = नागरिक
console-col-reason = कारण
console-col-status = स्थिती
console-col-officer = अधिकारी
console-documents = { $n } कागदपत्रे
console-mobile = मोबाइल
console-their-words = त्यांच्या शब्दांत
console-booked = बुक केली
console-booked-when = { $when } (भाषा: { $lang })
console-call = कॉल
console-call-admitted = { $at } वाजता आत घेतले
console-call-connected = { $at } वाजता जोडले
console-call-ended = { $at } वाजता { $by } संपवला
console-call-by-timer = टायमरने
console-call-by-citizen = नागरिकाने
console-call-by-officer = अधिकाऱ्याने
console-call-message = नागरिकासाठी संदेश:
console-call-none = अद्याप कॉल झालेला नाही.
console-documents-heading = कागदपत्रे
console-none = काहीही नाही.
console-outcome = निकाल
console-outcome-none = नोंदवलेला नाही
console-outcome-save = निकाल जतन करा
console-outcome-choose = यादीतून निकाल निवडा.
console-notes = नोंदी
console-notes-none = अद्याप नोंदी नाहीत.
console-note-add-label = पाठपुराव्यासाठी नोंद जोडा
console-note-add = नोंद जोडा
console-note-length = नोंदीत 1 ते 4000 अक्षरे हवीत.
console-not-yours = ही भेट दुसऱ्या अधिकाऱ्यांसोबत आहे.
console-mail-relay = ईमेल या रिलेमार्फत जातात:
console-mail-page-no-relay = ईमेल रिले ठरवलेला नाही: रिले ठरेपर्यंत संदेश येथे ठेवले जातात:
console-mail-waiting = प्रतीक्षेत
console-mail-spooled = स्पूलमध्ये
console-mail-sent = पाठवले
console-mail-dead = कायमचे अयशस्वी
console-mail-when = केव्हा
console-mail-to = कोणाला
console-mail-kind = प्रकार
console-mail-error = त्रुटी
console-mail-retry = पुन्हा प्रयत्न करा
console-mail-pending = पाठवण्याच्या प्रतीक्षेत
console-mail-queued = रांगेत केव्हा
console-mail-tries = प्रयत्न
console-mail-last-error = शेवटची त्रुटी
console-calls-connecting = स्टेशनशी जोडत आहे…
console-calls-you = तुम्ही
console-calls-more = +{ $m } मिनिटे
console-calls-less = −{ $m } मिनिट
console-calls-mute = आवाज बंद करा
console-calls-send-back = प्रतीक्षा कक्षात परत पाठवा
console-calls-note = पाठपुराव्यासाठी नोंद
console-calls-save-note = नोंद जतन करा
console-calls-message = नागरिकासाठी संदेश (पुढे काय होईल)
console-calls-end = कॉल संपवा
console-station-intro = ही माहिती प्रत्येक पानावर आणि ईमेलमध्ये दिसते. कॉन्फिगरेशन फाइलमध्ये ठरवलेले रकाने येथे बदलता येत नाहीत.
console-station-locked = कॉन्फिगरेशन फाइलमध्ये ठरवलेले.
console-station-delivery = सार्वजनिक पत्ता आणि ईमेल
console-station-links = नागरिकांच्या ईमेलमधील लिंक यापासून सुरू होतात:
console-station-no-relay = अद्याप ईमेल रिले नाही: ईमेल बॉक्सच्या स्पूल फोल्डरमध्ये ठेवले जातात.
console-station-both-locked = दोन्ही कॉन्फिगरेशन फाइलमध्ये ठरवलेले आहेत.
console-station-public-host = सार्वजनिक होस्ट नाव (नागरिक जे टाइप करतात; रिकामे: या बॉक्सचा स्वतःचा पत्ता)
console-station-mail-from = ईमेल पाठवणारा
console-station-relay-host = ईमेल रिले होस्ट (रिकामे: रिले नाही)
console-station-relay-port = पोर्ट
console-station-relay-security = सुरक्षा
console-station-relay-user = वापरकर्ता नाव (रिकामे: नाही)
console-station-relay-password-kept = पासवर्ड (रिकामे: जतन केलेला तसाच ठेवा)
console-station-hub = आयुक्तालयाचा हब
console-station-reports-to = हे स्टेशन येथे अहवाल पाठवते:
console-station-backlog = प्रतीक्षेतील संदेश: { $n }.
console-station-not-enrolled = नोंदणी झालेली नाही. हबचे ॲडमिन या स्टेशनची नोंद करून तुम्हाला एकदाच वापरता येणारा कोड देतात.
console-station-hub-url = हबचा पत्ता
console-station-hub-code = एकदाच वापरता येणारा नोंदणी कोड
console-station-enrol = नोंदणी करा
console-station-enrol-again = पुन्हा नोंदणी करा
console-outcome-resolved = निकाली काढले
console-outcome-fir_registered = FIR नोंदवली
console-outcome-referred = दुसरीकडे पाठवले
console-outcome-no_show = नागरिक आले नाहीत
console-outcome-follow_up_needed = पाठपुरावा आवश्यक
console-station-enrolled = नोंदणी झाली. आतापासून हबला या स्टेशनची आकडेवारी मिळते.

# calls and appointment states
join-opens-at = तुम्ही { $opens } पासून सहभागी होऊ शकता (तुमच्या { $time } च्या भेटीच्या 15 मिनिटे आधी).
status-done = पूर्ण झाली
status-ended_early = लवकर संपली
status-no_show = चुकली
final-done = तुमची व्हिडिओ भेट पूर्ण झाली. धन्यवाद.
final-ended_early = वेळ संपण्यापूर्वीच कॉल संपला. तुम्हाला अजून मदत हवी असल्यास कृपया नवीन भेटीची वेळ बुक करा.
final-no_show = या भेटीची वेळ कॉलशिवाय निघून गेली. तुम्हाला अजून मदत हवी असल्यास कृपया नवीन भेटीची वेळ बुक करा.
final-message = अधिकाऱ्यांचा संदेश
final-book-again = नवीन भेटीची वेळ बुक करा
call-video-back = व्हिडिओ पुन्हा सुरू करा
call-leave-confirm = कॉलमधून बाहेर पडायचे? बाहेर पडल्यावर अधिकारी तुम्हाला पुन्हा कॉलमध्ये बोलवू शकणार नाहीत.
call-leave-yes = होय, बाहेर पडा
call-leave-no = कॉलमध्येच राहा
confirm-cancel-heading = ही भेटीची वेळ रद्द करायची?
confirm-cancel-text = { $officer } यांच्यासोबतची { $date } रोजी { $time } ची तुमची भेट रद्द होईल, आणि ती वेळ दुसऱ्या कोणाला दिली जाईल.
confirm-cancel-yes = होय, रद्द करा
confirm-move-heading = ही भेटीची वेळ बदलायची?
confirm-move-text = तुमची भेट { $from } ऐवजी { $to } ला होईल. नवीन टोकन तुम्हाला ईमेलने मिळेल.
confirm-move-yes = होय, वेळ बदला
confirm-keep = नाही, माझी भेटीची वेळ आहे तशीच ठेवा

# अधिकाऱ्याचे कॉल पान: सूचना आणि व्हिडिओशेजारी नागरिकाची विनंती
console-calls-sound-on = आवाजाच्या सूचना सुरू करा
console-calls-citizen-audio = नागरिकाने फक्त ऑडिओ निवडला आहे: त्यांचा कॅमेरा बंद आहे.
console-calls-request = नागरिकाची विनंती

# नागरिकाने हजेरी लावली पण त्यांना बोलावले गेले नाही
status-not_called = बोलावले नाही
final-not_called = तुम्ही वाट पाहिली, पण अधिकारी तुम्हाला कॉलवर घेऊ शकले नाहीत. आम्ही दिलगीर आहोत. कृपया नवीन भेटीची वेळ बुक करा किंवा पोलीस ठाण्याला फोन करा.
